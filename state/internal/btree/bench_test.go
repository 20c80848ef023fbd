package btree

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func benchTree(n int) (*Tree, [][]byte) {
	t := &Tree{}
	keys := make([][]byte, n)
	for i := range n {
		keys[i] = binary.BigEndian.AppendUint64([]byte("key-"), uint64(i))
	}
	for _, i := range rand.Perm(n) {
		t.Set(keys[i], make([]byte, 100))
	}
	return t, keys
}

func BenchmarkGet(b *testing.B) {
	for _, n := range []int{1000, 100_000, 1_000_000} {
		t, keys := benchTree(n)
		b.Run(string(rune('0'+len(keys)/100_000)), func(b *testing.B) {
			for b.Loop() {
				if _, ok := t.Get(keys[rand.IntN(n)]); !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

func BenchmarkSet(b *testing.B) {
	t, _ := benchTree(100_000)
	k := make([]byte, 12)
	v := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		binary.BigEndian.PutUint64(k[4:], rand.Uint64())
		t.Set(k, v)
	}
}
