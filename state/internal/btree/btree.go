// Package btree is an ordered map from byte keys to byte values, implemented
// as a copy-on-write B-tree.
//
// The in-memory state backend uses it for key-value stores and window-store
// segments. Two properties matter there:
//
//   - Clone is O(1): the clone and the original share every node and copy a
//     node only when one of them first writes to it. The backend clones a
//     store at Commit and restores the clone on Abort.
//   - Readers see a snapshot: a [Cursor] opened by [Tree.Read] keeps seeing
//     the tree as it was when it was opened, even if the tree is written
//     while the cursor is in use. The tree switches to copy-on-write only
//     when a write happens while readers are active, so read-only loops cost
//     nothing extra.
//
// A Tree is not safe for concurrent use.
package btree

import "bytes"

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

// entry is one key/value pair. Key and value share one allocation.
type entry struct {
	buf  []byte // key ‖ value
	klen int
}

func (e entry) key() []byte   { return e.buf[:e.klen:e.klen] }
func (e entry) value() []byte { return e.buf[e.klen:len(e.buf):len(e.buf)] }

type node struct {
	items    []entry
	children []*node // nil for leaves, else len(items)+1
	owner    *owner
}

func (n *node) leaf() bool { return n.children == nil }

// find returns the index of the first item whose key is >= key, and whether
// that item's key equals key.
func (n *node) find(key []byte) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(n.items[m].key(), key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.items) && bytes.Equal(n.items[lo].key(), key)
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

func newNode(o *owner, leaf bool) *node {
	n := &node{items: make([]entry, 0, maxItems), owner: o}
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
	c := newNode(o, n.leaf())
	c.items = append(c.items, n.items...)
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

// Get returns the value stored under key. The returned slice aliases the
// tree's storage and must not be modified.
func (t *Tree) Get(key []byte) ([]byte, bool) {
	n := t.root
	for n != nil {
		i, found := n.find(key)
		if found {
			return n.items[i].value(), true
		}
		if n.leaf() {
			return nil, false
		}
		n = n.children[i]
	}
	return nil, false
}

// Set stores a copy of key and value, replacing any previous value. It
// reports whether the key was already present.
func (t *Tree) Set(key, value []byte) bool {
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	e := entry{buf: buf, klen: len(key)}

	o := t.prepareWrite()
	if t.root == nil {
		t.root = newNode(o, true)
		t.root.items = append(t.root.items, e)
		t.length++
		return false
	}
	t.root = t.root.mutable(o)
	if len(t.root.items) >= maxItems {
		mid, right := t.root.split(maxItems/2, o)
		left := t.root
		t.root = newNode(o, false)
		t.root.items = append(t.root.items, mid)
		t.root.children = append(t.root.children, left, right)
	}
	replaced := t.root.insert(e, o)
	if !replaced {
		t.length++
	}
	return replaced
}

// split moves the items after index i (and their children) to a new node and
// returns the item at i, which the caller lifts into the parent. n must be
// owned by o.
func (n *node) split(i int, o *owner) (entry, *node) {
	mid := n.items[i]
	right := newNode(o, n.leaf())
	right.items = append(right.items, n.items[i+1:]...)
	clear(n.items[i:])
	n.items = n.items[:i]
	if !n.leaf() {
		right.children = append(right.children, n.children[i+1:]...)
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return mid, right
}

// insert adds e to the subtree rooted at n, which must be owned by o and not
// full. It reports whether an existing entry was replaced.
func (n *node) insert(e entry, o *owner) bool {
	for {
		i, found := n.find(e.key())
		if found {
			n.items[i] = e
			return true
		}
		if n.leaf() {
			n.items = append(n.items, entry{})
			copy(n.items[i+1:], n.items[i:])
			n.items[i] = e
			return false
		}
		if len(n.children[i].items) >= maxItems {
			child := n.mutableChild(i, o)
			mid, right := child.split(maxItems/2, o)
			n.items = append(n.items, entry{})
			copy(n.items[i+1:], n.items[i:])
			n.items[i] = mid
			n.children = append(n.children, nil)
			copy(n.children[i+2:], n.children[i+1:])
			n.children[i+1] = right
			switch c := bytes.Compare(e.key(), mid.key()); {
			case c == 0:
				n.items[i] = e
				return true
			case c > 0:
				i++
			}
		}
		n = n.mutableChild(i, o)
	}
}

// Delete removes key. It reports whether the key was present.
func (t *Tree) Delete(key []byte) bool {
	if _, ok := t.Get(key); !ok {
		return false // avoid copying nodes for a no-op
	}
	o := t.prepareWrite()
	t.root = t.root.mutable(o)
	t.root.remove(key, false, o)
	t.length--
	if len(t.root.items) == 0 {
		if t.root.leaf() {
			t.root = nil
		} else {
			t.root = t.root.children[0]
		}
	}
	return true
}

// remove deletes key (or, if max is set, the largest entry) from the subtree
// rooted at n, which must be owned by o, and returns the removed entry. The
// key must be present.
func (n *node) remove(key []byte, max bool, o *owner) entry {
	for {
		var i int
		var found bool
		if max {
			if n.leaf() {
				last := len(n.items) - 1
				e := n.items[last]
				n.items[last] = entry{}
				n.items = n.items[:last]
				return e
			}
			i = len(n.items)
		} else {
			i, found = n.find(key)
			if n.leaf() {
				e := n.items[i]
				copy(n.items[i:], n.items[i+1:])
				n.items[len(n.items)-1] = entry{}
				n.items = n.items[:len(n.items)-1]
				return e
			}
		}
		if len(n.children[i].items) <= minItems {
			// Make sure the child we descend into can lose an item, then
			// search again: the restructuring may have moved the key.
			n.growChild(i, o)
			continue
		}
		child := n.mutableChild(i, o)
		if found {
			// Replace the separator with its predecessor, the largest entry
			// of the left subtree.
			e := n.items[i]
			n.items[i] = child.remove(nil, true, o)
			return e
		}
		n = child
	}
}

// growChild gives child i at least minItems+1 items by borrowing from a
// sibling or merging with one. n must be owned by o.
func (n *node) growChild(i int, o *owner) {
	switch {
	case i > 0 && len(n.children[i-1].items) > minItems:
		// Rotate right through the separator from the left sibling.
		child := n.mutableChild(i, o)
		left := n.mutableChild(i-1, o)
		last := len(left.items) - 1
		child.items = append(child.items, entry{})
		copy(child.items[1:], child.items)
		child.items[0] = n.items[i-1]
		n.items[i-1] = left.items[last]
		left.items[last] = entry{}
		left.items = left.items[:last]
		if !left.leaf() {
			lc := len(left.children) - 1
			child.children = append(child.children, nil)
			copy(child.children[1:], child.children)
			child.children[0] = left.children[lc]
			left.children[lc] = nil
			left.children = left.children[:lc]
		}
	case i < len(n.items) && len(n.children[i+1].items) > minItems:
		// Rotate left through the separator from the right sibling.
		child := n.mutableChild(i, o)
		right := n.mutableChild(i+1, o)
		child.items = append(child.items, n.items[i])
		n.items[i] = right.items[0]
		copy(right.items, right.items[1:])
		right.items[len(right.items)-1] = entry{}
		right.items = right.items[:len(right.items)-1]
		if !right.leaf() {
			child.children = append(child.children, right.children[0])
			copy(right.children, right.children[1:])
			right.children[len(right.children)-1] = nil
			right.children = right.children[:len(right.children)-1]
		}
	default:
		// Merge child i with its right sibling (or i-1 with i).
		if i >= len(n.items) {
			i--
		}
		child := n.mutableChild(i, o)
		right := n.children[i+1]
		child.items = append(child.items, n.items[i])
		child.items = append(child.items, right.items...)
		if !child.leaf() {
			child.children = append(child.children, right.children...)
		}
		copy(n.items[i:], n.items[i+1:])
		n.items[len(n.items)-1] = entry{}
		n.items = n.items[:len(n.items)-1]
		copy(n.children[i+1:], n.children[i+2:])
		n.children[len(n.children)-1] = nil
		n.children = n.children[:len(n.children)-1]
	}
}
