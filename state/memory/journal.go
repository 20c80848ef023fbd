// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

// journal is a B-tree with an undo log: the value each key had before its
// first change since the last commit. Abort replays the log, so a cycle costs
// one map entry per key written, whatever the size of the tree.
type journal struct {
	tree tree
	undo map[string]prior
}

// prior is a key's value at the last commit.
type prior struct {
	value   []byte
	existed bool
}

func newJournal() *journal { return &journal{tree: newTree()} }

func (j *journal) record(key, old []byte, existed bool) {
	if j.undo == nil {
		j.undo = map[string]prior{}
	}
	if _, ok := j.undo[string(key)]; !ok {
		j.undo[string(key)] = prior{value: old, existed: existed}
	}
}

func (j *journal) set(key, value []byte) {
	old, existed := j.tree.set(key, value)
	j.record(key, old, existed)
}

// delete removes key and reports whether it was present.
func (j *journal) delete(key []byte) bool {
	old, existed := j.tree.delete(key)
	if existed {
		j.record(key, old, true)
	}
	return existed
}

// dirty reports whether the tree changed since the last commit.
func (j *journal) dirty() bool { return len(j.undo) > 0 }

func (j *journal) commit() { clear(j.undo) }

func (j *journal) abort() {
	for k, p := range j.undo {
		if p.existed {
			j.tree.set([]byte(k), p.value)
		} else {
			j.tree.delete([]byte(k))
		}
	}
	clear(j.undo)
}
