namespace Provenance.Ledger.Tests;

/// <summary>
/// The RFC 6962 test tree used by Certificate Transparency, Trillian and transparency-dev/merkle
/// (testonly/constants.go): eight leaf inputs, the hashes of all its perfect subtrees, and its roots.
/// </summary>
static class TreeVectors
{
    public static readonly byte[][] LeafInputs =
    [
        H(""), H("00"), H("10"), H("2021"), H("3031"), H("40414243"), H("5051525354555657"), H("606162636465666768696a6b6c6d6e6f"),
    ];

    /// <summary>[level][index] for every perfect subtree of the 8-leaf tree.</summary>
    public static readonly byte[][][] NodeHashes =
    [
        [
            H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
            H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
        ],
        [
            H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        ],
        [
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
        [
            H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        ],
    ];

    /// <summary>Root hashes indexed by tree size, from the empty tree to all eight leaves.</summary>
    public static readonly byte[][] Roots =
    [
        H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
        H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
        H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
        H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ];

    /// <summary>Inclusion proofs of the test tree (transparency-dev/merkle cmd/proofgen, leaf indices 0-based).</summary>
    public static readonly (long LeafIndex, long TreeSize, byte[][] Path)[] InclusionProofs =
    [
        (0, 1, []),
        (0, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"), H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
        (5, 8, [H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"), H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"), H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
        (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
        (1, 5, [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"), H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    ];

    /// <summary>Consistency proofs of the test tree (transparency-dev/merkle cmd/proofgen).</summary>
    public static readonly (long FromSize, long ToSize, byte[][] Path)[] ConsistencyProofs =
    [
        (1, 1, []),
        (1, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"), H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
        (6, 8, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"), H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"), H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
        (2, 5, [H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"), H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
        (6, 7, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"), H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"), H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    ];

    public static readonly byte[] SomeHash = H("abacaba000000000000000000000000000000000000000000060061e00123456");

    public static byte[][] LeafHashes => LeafInputs.Select(input => MerkleHash.LeafHash(input)).ToArray();

    public static byte[] H(string hex) => Convert.FromHexString(hex);
}
