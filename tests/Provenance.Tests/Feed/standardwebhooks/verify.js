// Verifies webhook requests with the Standard Webhooks reference library (npm standardwebhooks), not with our code.
// stdin: JSON [{ "secret", "headers": {...}, "bodyBase64", "now": <unix seconds> }]; stdout: JSON ["ok" | "<error message>", ...].
// "now" pins the library's clock to the sender's (the tests run the app on a fake clock); the verification itself is untouched.
"use strict";
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", chunk => { input += chunk; });
process.stdin.on("end", () => {
  const realNow = Date.now;
  const results = JSON.parse(input).map(check => {
    Date.now = () => check.now * 1000;
    try {
      new Webhook(check.secret).verify(Buffer.from(check.bodyBase64, "base64"), check.headers);
      return "ok";
    } catch (e) {
      return String(e && e.message ? e.message : e);
    } finally {
      Date.now = realNow;
    }
  });
  process.stdout.write(JSON.stringify(results));
});
