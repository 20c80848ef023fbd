// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query

import "github.com/eddy-streams/eddy/runtime"

// ReadOption tunes one read.
type ReadOption func(*readOptions)

type readOptions struct {
	runtime.ReadOptions
	info *runtime.ReadInfo
}

// FromStandby lets a key lookup read a standby replica's copy when this
// instance does not run the key's active task, and stores in info which
// copy was read and how many changelog records it is behind. Without it
// (the default) only active tasks are read.
func FromStandby(info *runtime.ReadInfo) ReadOption {
	return func(o *readOptions) { o.Standby, o.info = true, info }
}

func collect(opts []ReadOption) readOptions {
	var o readOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (o readOptions) report(info runtime.ReadInfo) {
	if o.info != nil {
		*o.info = info
	}
}
