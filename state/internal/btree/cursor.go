package btree

import "bytes"

// Reader is a read-only snapshot of a tree. It stays valid, and unchanged,
// while the tree is written; call Close when done so that later writes to the
// tree can modify nodes in place again.
type Reader struct {
	root  *node
	tree  *Tree
	owner *owner
}

// Read opens a snapshot of t.
func (t *Tree) Read() *Reader {
	o := t.curOwner()
	o.readers++
	return &Reader{root: t.root, tree: t, owner: o}
}

// Close releases the snapshot. It is safe to call more than once.
func (r *Reader) Close() {
	if r.owner != nil {
		r.owner.readers--
		r.owner = nil
	}
}

type frame struct {
	n *node
	// i is the index of the current item in the top frame, and the index of
	// the child descended into in the frames below it.
	i int
}

// Cursor walks a snapshot in one direction. The key and value slices it
// returns alias the tree's storage and must not be modified; keys may
// change once the reader is closed.
type Cursor struct {
	stack   []frame
	reverse bool
	// lo and hi bound the walk to [lo, hi); nil is open.
	lo, hi []byte
}

// Ascend returns a cursor over the keys in [lo, hi) in ascending order,
// positioned on the first one. A nil bound is open.
func (r *Reader) Ascend(lo, hi []byte) *Cursor {
	c := &Cursor{lo: lo, hi: hi, stack: make([]frame, 0, 8)}
	c.seekGE(r.root, lo)
	c.checkBounds()
	return c
}

// Descend returns a cursor over the keys in [lo, hi) in descending order,
// positioned on the last one. A nil bound is open.
func (r *Reader) Descend(lo, hi []byte) *Cursor {
	c := &Cursor{lo: lo, hi: hi, reverse: true, stack: make([]frame, 0, 8)}
	c.seekLT(r.root, hi)
	c.checkBounds()
	return c
}

// Valid reports whether the cursor is positioned on an entry.
func (c *Cursor) Valid() bool { return len(c.stack) > 0 }

// Key returns the current key.
func (c *Cursor) Key() []byte {
	f := c.stack[len(c.stack)-1]
	return f.n.key(f.i)
}

// Value returns the current value.
func (c *Cursor) Value() []byte {
	f := c.stack[len(c.stack)-1]
	return f.n.vals[f.i]
}

// Next moves the cursor to the following entry in its direction.
func (c *Cursor) Next() {
	if c.reverse {
		c.prev()
	} else {
		c.next()
	}
	c.checkBounds()
}

func (c *Cursor) checkBounds() {
	if !c.Valid() {
		return
	}
	k := c.Key()
	if c.reverse {
		if c.lo != nil && bytes.Compare(k, c.lo) < 0 {
			c.stack = c.stack[:0]
		}
	} else if c.hi != nil && bytes.Compare(k, c.hi) >= 0 {
		c.stack = c.stack[:0]
	}
}

func (c *Cursor) push(n *node, i int) { c.stack = append(c.stack, frame{n, i}) }

// seekGE positions on the first key >= key (nil: the first key).
func (c *Cursor) seekGE(n *node, key []byte) {
	for n != nil {
		i, found := n.find(key)
		c.push(n, i)
		if found || n.leaf() {
			break
		}
		n = n.children[i]
	}
	c.upForward()
}

// upForward pops finished frames: an ancestor frame whose child index is c
// continues at its item c.
func (c *Cursor) upForward() {
	for len(c.stack) > 0 {
		f := c.stack[len(c.stack)-1]
		if f.i < f.n.len() {
			return
		}
		c.stack = c.stack[:len(c.stack)-1]
	}
}

func (c *Cursor) next() {
	top := &c.stack[len(c.stack)-1]
	top.i++
	if !top.n.leaf() {
		// The successor is the leftmost entry of child i+1.
		n := top.n.children[top.i]
		for {
			c.push(n, 0)
			if n.leaf() {
				break
			}
			n = n.children[0]
		}
		return
	}
	c.upForward()
}

// seekLT positions on the last key < key (nil: the last key).
func (c *Cursor) seekLT(n *node, key []byte) {
	for n != nil {
		i := n.len()
		if key != nil {
			i, _ = n.find(key)
		}
		c.push(n, i)
		if n.leaf() {
			break
		}
		n = n.children[i]
	}
	if len(c.stack) > 0 {
		c.stack[len(c.stack)-1].i--
	}
	c.upReverse()
}

// upReverse pops finished frames: an ancestor frame whose child index is c
// continues at its item c-1.
func (c *Cursor) upReverse() {
	for len(c.stack) > 0 {
		if c.stack[len(c.stack)-1].i >= 0 {
			return
		}
		c.stack = c.stack[:len(c.stack)-1]
		if len(c.stack) > 0 {
			c.stack[len(c.stack)-1].i--
		}
	}
}

func (c *Cursor) prev() {
	top := &c.stack[len(c.stack)-1]
	if !top.n.leaf() {
		// The predecessor is the rightmost entry of child i. Leave this
		// frame's index at i so that popping back continues at item i-1.
		n := top.n.children[top.i]
		for {
			if n.leaf() {
				c.push(n, n.len()-1)
				break
			}
			c.push(n, len(n.children)-1)
			n = n.children[len(n.children)-1]
		}
		return
	}
	top.i--
	c.upReverse()
}
