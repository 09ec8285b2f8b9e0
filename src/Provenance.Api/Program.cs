using JasperFx;
using Provenance.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddProvenance();

var app = builder.Build();
app.UseProvenance();

return await app.RunJasperFxCommands(args);

public partial class Program;
