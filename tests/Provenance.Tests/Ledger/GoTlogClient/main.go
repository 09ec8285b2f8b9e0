// An independent client of a c2sp.org/tlog-tiles log folder, on golang.org/x/mod/sumdb (note, tlog): verifies the checkpoint
// signature, then for each leaf index given proves its inclusion from the tiles (tlog.TileHashReader) and checks the entry in its
// bundle hashes to that leaf; with -old N, proves and checks consistency with the tree of N leaves.
// Usage: tlogclient -dir MIRROR -key VERIFIERKEY [-old N] INDEX...
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tiles reads tlog-tiles paths: Go's sumdb paths carry the height ("tile/8/L/N"), C2SP's do not ("tile/L/N").
type tiles struct{ dir string }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		data, err := os.ReadFile(filepath.Join(t.dir, "tile", strings.TrimPrefix(tile.Path(), "tile/8/")))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL "+format+"\n", args...)
	os.Exit(1)
}

func entry(dir string, index, size int64) []byte {
	bundle := index / 256
	width := size - bundle*256
	path := tlog.Tile{H: 8, L: 0, N: bundle, W: 256}
	if width < 256 {
		path.W = int(width)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tile", "entries", strings.TrimPrefix(path.Path(), "tile/8/0/")))
	if err != nil {
		fail("entry bundle: %v", err)
	}
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			fail("entry %d is not in its bundle", index)
		}
		n := int(data[0])<<8 | int(data[1])
		if i == index%256 {
			return data[2 : 2+n]
		}
		data = data[2+n:]
	}
}

func main() {
	dir := flag.String("dir", "", "the log folder")
	key := flag.String("key", "", "the log's verifier key")
	old := flag.Int64("old", 0, "a smaller tree size to prove consistency with")
	flag.Parse()

	verifier, err := note.NewVerifier(*key)
	if err != nil {
		fail("key: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(*dir, "checkpoint"))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root")
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles{*dir})

	for _, arg := range flag.Args() {
		index, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			fail("index %q", arg)
		}
		proof, err := tlog.ProveRecord(size, index, reader)
		if err != nil {
			fail("prove record %d: %v", index, err)
		}
		if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry(*dir, index, size))); err != nil {
			fail("check record %d: %v", index, err)
		}
	}
	if *old > 0 {
		oldRoot, err := tlog.TreeHash(*old, reader)
		if err != nil {
			fail("tree hash %d: %v", *old, err)
		}
		proof, err := tlog.ProveTree(size, *old, reader)
		if err != nil {
			fail("prove tree: %v", err)
		}
		if err := tlog.CheckTree(proof, size, root, *old, oldRoot); err != nil {
			fail("check tree: %v", err)
		}
	}
	fmt.Printf("OK %s %d %s: %d records and consistency with %d checked by golang.org/x/mod/sumdb/tlog\n", lines[0], size, lines[2], len(flag.Args()), *old)
}
