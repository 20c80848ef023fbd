// Package btree is an ordered map from byte keys to byte values, implemented
// as a copy-on-write B-tree.
//
// The in-memory state backend uses it for key-value stores and window-store
// segments. What matters there:
//
//   - Readers see a snapshot: a [Cursor] opened by [Tree.Read] keeps seeing
//     the tree as it was when it was opened, even if the tree is written
//     while the cursor is in use. The tree switches to copy-on-write only
//     when a write happens while readers are active, so read-only loops cost
//     nothing extra.
//   - Set and Delete return the value they replace, for undo logs. Values are
//     never modified in place, so such a slice stays valid.
//   - Clone is O(1): the clone and the original share every node and copy a
//     node only when one of them first writes to it.
//
// A Tree is not safe for concurrent use.
package btree

import (
	"bytes"
	"slices"
)

const (
	degree   = 16
	maxItems = 2*degree - 1
	minItems = degree - 1
)

// owner marks the nodes a tree may modify in place. Nodes whose owner is not
// the tree's current owner are shared (with a clone or an open reader) and
// are copied before being modified.
type owner struct {
	// readers counts open readers that started while this owner was the
	// tree's current owner; they may reference nodes of this owner.
	readers int
}

// node holds its keys side by side in one buffer, so that a binary search
// or a scan touches a few adjacent cache lines instead of one allocation per
// key. Values are separate allocations, never modified in place.
type node struct {
	keys     []byte   // the keys, concatenated
	ends     []uint32 // ends[i] is where key i ends in keys
	vals     [][]byte
	children []*node // nil for leaves, else len(ends)+1
	owner    *owner
}

func (n *node) leaf() bool { return n.children == nil }
func (n *node) len() int   { return len(n.ends) }

func (n *node) start(i int) int {
	if i == 0 {
		return 0
	}
	return int(n.ends[i-1])
}

// key returns key i. It aliases the node's buffer.
func (n *node) key(i int) []byte {
	end := n.ends[i]
	return n.keys[n.start(i):end:end]
}

// find returns the index of the first key >= key, and whether that key
// equals key.
func (n *node) find(key []byte) (int, bool) {
	lo, hi := 0, n.len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(n.key(m), key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n.len() && bytes.Equal(n.key(lo), key)
}

// insertAt inserts (key, val) as entry i. key must not alias n.keys.
func (n *node) insertAt(i int, key, val []byte) {
	at := n.start(i)
	n.keys = slices.Insert(n.keys, at, key...)
	n.ends = slices.Insert(n.ends, i, uint32(at))
	for j := i; j < len(n.ends); j++ {
		n.ends[j] += uint32(len(key))
	}
	n.vals = slices.Insert(n.vals, i, val)
}

// replaceAt replaces entry i by (key, val). key must not alias n.keys.
func (n *node) replaceAt(i int, key, val []byte) {
	from, to := n.start(i), int(n.ends[i])
	n.keys = slices.Replace(n.keys, from, to, key...)
	delta := uint32(len(key) - (to - from)) // wraps for shrinking keys; sums stay right
	for j := i; j < len(n.ends); j++ {
		n.ends[j] += delta
	}
	n.vals[i] = val
}

// removeAt removes entry i.
func (n *node) removeAt(i int) {
	from, to := n.start(i), int(n.ends[i])
	n.keys = slices.Delete(n.keys, from, to)
	n.ends = slices.Delete(n.ends, i, i+1)
	for j := i; j < len(n.ends); j++ {
		n.ends[j] -= uint32(to - from)
	}
	n.vals = slices.Delete(n.vals, i, i+1)
}

// appendRange appends entries [i, j) of m.
func (n *node) appendRange(m *node, i, j int) {
	base := uint32(len(n.keys)) - uint32(m.start(i))
	n.keys = append(n.keys, m.keys[m.start(i):m.start(j)]...)
	for _, e := range m.ends[i:j] {
		n.ends = append(n.ends, e+base)
	}
	n.vals = append(n.vals, m.vals[i:j]...)
}

// truncate keeps entries [0, i).
func (n *node) truncate(i int) {
	n.keys = n.keys[:n.start(i)]
	clear(n.vals[i:])
	n.ends, n.vals = n.ends[:i], n.vals[:i]
}

// Tree is an ordered byte map. The zero value is an empty tree ready to use.
type Tree struct {
	root   *node
	length int
	owner  *owner
}

func (t *Tree) curOwner() *owner {
	if t.owner == nil {
		t.owner = &owner{}
	}
	return t.owner
}

// prepareWrite is called before every mutation. If readers may still
// reference nodes owned by the current owner, the tree takes a fresh owner so
// that those nodes are copied instead of modified.
func (t *Tree) prepareWrite() *owner {
	o := t.curOwner()
	if o.readers > 0 {
		o = &owner{}
		t.owner = o
	}
	return o
}

func newNode(o *owner, leaf bool, keyBytes int) *node {
	n := &node{
		keys:  make([]byte, 0, keyBytes),
		ends:  make([]uint32, 0, maxItems),
		vals:  make([][]byte, 0, maxItems),
		owner: o,
	}
	if !leaf {
		n.children = make([]*node, 0, maxItems+1)
	}
	return n
}

// mutable returns n itself if it is owned by o, else a copy owned by o.
func (n *node) mutable(o *owner) *node {
	if n.owner == o {
		return n
	}
	c := newNode(o, n.leaf(), len(n.keys)+len(n.keys)/4+16)
	c.keys = append(c.keys, n.keys...)
	c.ends = append(c.ends, n.ends...)
	c.vals = append(c.vals, n.vals...)
	if !n.leaf() {
		c.children = append(c.children, n.children...)
	}
	return c
}

func (n *node) mutableChild(i int, o *owner) *node {
	c := n.children[i].mutable(o)
	n.children[i] = c
	return c
}

// Len returns the number of keys in the tree.
func (t *Tree) Len() int { return t.length }

// Clone returns a copy of t in O(1). Both trees share their nodes and copy
// them lazily on write.
func (t *Tree) Clone() *Tree {
	// Both trees get fresh owners, so neither modifies the shared nodes.
	t.owner = &owner{}
	return &Tree{root: t.root, length: t.length, owner: &owner{}}
}

// Get returns the value stored under key. The returned slice must not be
// modified; it stays valid and unchanged.
func (t *Tree) Get(key []byte) ([]byte, bool) {
	n := t.root
	for n != nil {
		i, found := n.find(key)
		if found {
			return n.vals[i], true
		}
		if n.leaf() {
			return nil, false
		}
		n = n.children[i]
	}
	return nil, false
}

// Set stores a copy of key and value. It returns the value it replaced, if
// any; that slice stays valid and unchanged.
func (t *Tree) Set(key, value []byte) (old []byte, replaced bool) {
	val := make([]byte, len(value))
	copy(val, value)

	o := t.prepareWrite()
	if t.root == nil {
		t.root = newNode(o, true, 16*len(key))
		t.root.insertAt(0, key, val)
		t.length++
		return nil, false
	}
	t.root = t.root.mutable(o)
	if t.root.len() >= maxItems {
		midKey, midVal, right := t.root.split(maxItems/2, o)
		left := t.root
		t.root = newNode(o, false, 4*len(midKey))
		t.root.insertAt(0, midKey, midVal)
		t.root.children = append(t.root.children, left, right)
	}
	old, replaced = t.root.insert(key, val, o)
	if !replaced {
		t.length++
	}
	return old, replaced
}

// split moves the entries after i (and their children) to a new node, removes
// entry i and returns it for the caller to lift into the parent. n must be
// owned by o.
func (n *node) split(i int, o *owner) (midKey, midVal []byte, right *node) {
	midKey, midVal = bytes.Clone(n.key(i)), n.vals[i]
	right = newNode(o, n.leaf(), len(n.keys)-int(n.ends[i])+16)
	right.appendRange(n, i+1, n.len())
	n.truncate(i)
	if !n.leaf() {
		right.children = append(right.children, n.children[i+1:]...)
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return midKey, midVal, right
}

// insert adds (key, val) to the subtree rooted at n, which must be owned by o
// and not full. It returns the value it replaced, if any.
func (n *node) insert(key, val []byte, o *owner) ([]byte, bool) {
	for {
		i, found := n.find(key)
		if found {
			prev := n.vals[i]
			n.vals[i] = val
			return prev, true
		}
		if n.leaf() {
			n.insertAt(i, key, val)
			return nil, false
		}
		if n.children[i].len() >= maxItems {
			child := n.mutableChild(i, o)
			midKey, midVal, right := child.split(maxItems/2, o)
			n.insertAt(i, midKey, midVal)
			n.children = slices.Insert(n.children, i+1, right)
			switch c := bytes.Compare(key, midKey); {
			case c == 0:
				n.vals[i] = val
				return midVal, true
			case c > 0:
				i++
			}
		}
		n = n.mutableChild(i, o)
	}
}

// Delete removes key. It returns the removed value, if any; that slice stays
// valid and unchanged.
func (t *Tree) Delete(key []byte) (old []byte, deleted bool) {
	if _, ok := t.Get(key); !ok {
		return nil, false // avoid copying nodes for a no-op
	}
	o := t.prepareWrite()
	t.root = t.root.mutable(o)
	_, old = t.root.remove(key, false, o)
	t.length--
	if t.root.len() == 0 {
		if t.root.leaf() {
			t.root = nil
		} else {
			t.root = t.root.children[0]
		}
	}
	return old, true
}

// remove deletes key (or, if max is set, the largest entry) from the subtree
// rooted at n, which must be owned by o, and returns the removed entry. The
// key must be present.
func (n *node) remove(key []byte, max bool, o *owner) (k, v []byte) {
	for {
		var i int
		var found bool
		if max {
			if n.leaf() {
				last := n.len() - 1
				k, v = bytes.Clone(n.key(last)), n.vals[last]
				n.truncate(last)
				return k, v
			}
			i = n.len()
		} else {
			i, found = n.find(key)
			if n.leaf() {
				v = n.vals[i]
				n.removeAt(i)
				return nil, v
			}
		}
		if n.children[i].len() <= minItems {
			// Make sure the child we descend into can lose an entry, then
			// search again: the restructuring may have moved the key.
			n.growChild(i, o)
			continue
		}
		child := n.mutableChild(i, o)
		if found {
			// Replace the separator with its predecessor, the largest entry
			// of the left subtree.
			v = n.vals[i]
			pk, pv := child.remove(nil, true, o)
			n.replaceAt(i, pk, pv)
			return nil, v
		}
		n = child
	}
}

// growChild gives child i at least minItems+1 entries by borrowing from a
// sibling or merging with one. n must be owned by o.
func (n *node) growChild(i int, o *owner) {
	switch {
	case i > 0 && n.children[i-1].len() > minItems:
		// Rotate right through the separator from the left sibling.
		child := n.mutableChild(i, o)
		left := n.mutableChild(i-1, o)
		last := left.len() - 1
		child.insertAt(0, n.key(i-1), n.vals[i-1])
		n.replaceAt(i-1, left.key(last), left.vals[last])
		left.truncate(last)
		if !left.leaf() {
			lc := len(left.children) - 1
			child.children = slices.Insert(child.children, 0, left.children[lc])
			left.children[lc] = nil
			left.children = left.children[:lc]
		}
	case i < n.len() && n.children[i+1].len() > minItems:
		// Rotate left through the separator from the right sibling.
		child := n.mutableChild(i, o)
		right := n.mutableChild(i+1, o)
		child.insertAt(child.len(), n.key(i), n.vals[i])
		n.replaceAt(i, right.key(0), right.vals[0])
		right.removeAt(0)
		if !right.leaf() {
			child.children = append(child.children, right.children[0])
			right.children = slices.Delete(right.children, 0, 1)
		}
	default:
		// Merge child i with its right sibling (or i-1 with i).
		if i >= n.len() {
			i--
		}
		child := n.mutableChild(i, o)
		right := n.children[i+1]
		child.insertAt(child.len(), n.key(i), n.vals[i])
		child.appendRange(right, 0, right.len())
		if !child.leaf() {
			child.children = append(child.children, right.children...)
		}
		n.removeAt(i)
		n.children = slices.Delete(n.children, i+1, i+2)
	}
}
