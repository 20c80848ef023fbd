// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import "github.com/eddy-streams/eddy/state"

var _ state.VersionedBackend = (*Backend)(nil)

// Versioned opens the versioned key-value store name. Its versions live in
// the key-value store of the same name (see state.NewVersionedKeyValueStore),
// so Commit makes them durable with the other stores and Abort discards them; each call returns a new handle on the same
// data.
func (b *Backend) Versioned(name string, opts state.VersionedOptions) (state.VersionedKeyValueStore, error) {
	kv, err := b.KeyValue(name)
	if err != nil {
		return nil, err
	}
	return state.NewVersionedKeyValueStore(kv, opts)
}
