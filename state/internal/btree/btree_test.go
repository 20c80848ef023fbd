package btree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// model is the reference the tree is checked against.
type model map[string]string

func (m model) sortedKeys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (m model) clone() model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func checkTree(t *testing.T, tr *Tree, m model) {
	t.Helper()
	if tr.Len() != len(m) {
		t.Fatalf("Len = %d, want %d", tr.Len(), len(m))
	}
	keys := m.sortedKeys()
	r := tr.Read()
	defer r.Close()
	var got []string
	for c := r.Ascend(nil, nil); c.Valid(); c.Next() {
		if want := m[string(c.Key())]; want != string(c.Value()) {
			t.Fatalf("value of %q = %q, want %q", c.Key(), c.Value(), want)
		}
		got = append(got, string(c.Key()))
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("ascending keys differ:\n got %q\nwant %q", got, keys)
	}
	got = got[:0]
	for c := r.Descend(nil, nil); c.Valid(); c.Next() {
		got = append(got, string(c.Key()))
	}
	slices.Reverse(keys)
	if !slices.Equal(got, keys) {
		t.Fatalf("descending keys differ:\n got %q\nwant %q", got, keys)
	}
	if tr.root != nil {
		checkNode(t, tr.root, true)
	}
}

func checkNode(t *testing.T, n *node, root bool) int {
	t.Helper()
	if !root && n.len() < minItems {
		t.Fatalf("node has %d items, below minimum %d", n.len(), minItems)
	}
	if n.len() > maxItems {
		t.Fatalf("node has %d items, above maximum %d", n.len(), maxItems)
	}
	if len(n.vals) != n.len() || (n.len() > 0 && int(n.ends[n.len()-1]) != len(n.keys)) {
		t.Fatalf("node buffers inconsistent")
	}
	for i := 1; i < n.len(); i++ {
		if bytes.Compare(n.key(i-1), n.key(i)) >= 0 {
			t.Fatalf("node keys out of order")
		}
	}
	if n.leaf() {
		return 1
	}
	if len(n.children) != n.len()+1 {
		t.Fatalf("node has %d items and %d children", n.len(), len(n.children))
	}
	depth := -1
	for _, c := range n.children {
		d := checkNode(t, c, false)
		if depth >= 0 && d != depth {
			t.Fatalf("unbalanced tree")
		}
		depth = d
	}
	return depth + 1
}

func TestRandomOperations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := &Tree{}
	m := model{}
	var snapTree *Tree
	var snapModel model
	for step := range 20000 {
		k := fmt.Sprintf("%04d", rng.IntN(2000))
		switch op := rng.IntN(10); {
		case op < 6:
			v := fmt.Sprint(step)
			prev, existed := m[k]
			if old, replaced := tr.Set([]byte(k), []byte(v)); replaced != existed || string(old) != prev {
				t.Fatalf("Set(%q) replaced %q %v, want %q %v", k, old, replaced, prev, existed)
			}
			m[k] = v
		case op < 9:
			prev, existed := m[k]
			if old, deleted := tr.Delete([]byte(k)); deleted != existed || string(old) != prev {
				t.Fatalf("Delete(%q) = %q %v, want %q %v", k, old, deleted, prev, existed)
			}
			delete(m, k)
		default:
			v, ok := tr.Get([]byte(k))
			want, wantOK := m[k]
			if ok != wantOK || string(v) != want {
				t.Fatalf("Get(%q) = %q,%v want %q,%v", k, v, ok, want, wantOK)
			}
		}
		if step%2500 == 0 {
			checkTree(t, tr, m)
			if snapTree != nil {
				checkTree(t, snapTree, snapModel)
			}
			snapTree, snapModel = tr.Clone(), m.clone()
		}
	}
	checkTree(t, tr, m)
	checkTree(t, snapTree, snapModel)
	// Restore the clone, as Abort does, and keep writing to both.
	restored := snapTree.Clone()
	for i := range 3000 {
		k := []byte(fmt.Sprintf("%04d", i))
		restored.Set(k, []byte("r"))
		tr.Delete(k)
	}
	for i := range 3000 {
		k := fmt.Sprintf("%04d", i)
		snapModel[k] = "r"
		delete(m, k)
	}
	checkTree(t, restored, snapModel)
	checkTree(t, tr, m)
}

func TestReaderSeesSnapshot(t *testing.T) {
	tr := &Tree{}
	for i := range 1000 {
		tr.Set([]byte(fmt.Sprintf("%04d", i)), []byte("a"))
	}
	r := tr.Read()
	n := 0
	for c := r.Ascend(nil, nil); c.Valid(); c.Next() {
		// Writes during the walk must not be seen by it.
		tr.Delete([]byte(fmt.Sprintf("%04d", 999-n)))
		tr.Set([]byte(fmt.Sprintf("%04d5", n)), []byte("b"))
		if string(c.Value()) != "a" {
			t.Fatalf("saw a write made during the walk")
		}
		n++
	}
	r.Close()
	if n != 1000 {
		t.Fatalf("walked %d keys, want 1000", n)
	}
	if tr.Len() != 1000 {
		t.Fatalf("Len = %d", tr.Len())
	}
	// A read-only walk leaves the tree writable in place.
	o := tr.owner
	r = tr.Read()
	for c := r.Ascend(nil, nil); c.Valid(); c.Next() {
	}
	r.Close()
	tr.Set([]byte("x"), nil)
	if tr.owner != o {
		t.Fatalf("read-only walk forced copy-on-write")
	}
}

func TestBounds(t *testing.T) {
	tr := &Tree{}
	for i := range 500 {
		tr.Set([]byte(fmt.Sprintf("%03d", i*2)), nil)
	}
	r := tr.Read()
	defer r.Close()
	collect := func(c *Cursor) []string {
		var out []string
		for ; c.Valid(); c.Next() {
			out = append(out, string(c.Key()))
		}
		return out
	}
	if got := collect(r.Ascend([]byte("101"), []byte("108"))); !slices.Equal(got, []string{"102", "104", "106"}) {
		t.Fatalf("ascend = %q", got)
	}
	if got := collect(r.Descend([]byte("101"), []byte("108"))); !slices.Equal(got, []string{"106", "104", "102"}) {
		t.Fatalf("descend = %q", got)
	}
	if got := collect(r.Descend(nil, []byte("003"))); !slices.Equal(got, []string{"002", "000"}) {
		t.Fatalf("descend = %q", got)
	}
	if got := collect(r.Ascend([]byte("997"), nil)); !slices.Equal(got, []string{"998"}) {
		t.Fatalf("ascend = %q", got)
	}
	if got := collect(r.Ascend([]byte("999"), nil)); len(got) != 0 {
		t.Fatalf("ascend = %q", got)
	}
	// Every start position, both directions.
	for i := range 1000 {
		k := []byte(fmt.Sprintf("%03d", i))
		c := r.Ascend(k, nil)
		want := (i + 1) / 2 * 2
		if want > 998 {
			if c.Valid() {
				t.Fatalf("ascend from %s valid", k)
			}
			continue
		}
		if !c.Valid() || !bytes.Equal(c.Key(), []byte(fmt.Sprintf("%03d", want))) {
			t.Fatalf("ascend from %s wrong", k)
		}
		d := r.Descend(nil, k)
		n := len(collect(d))
		if n != (i+1)/2 {
			t.Fatalf("descend below %s yields %d keys, want %d", k, n, (i+1)/2)
		}
	}
}
