// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"context"
	"fmt"
	"strconv"

	havro "github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// maxReferenceDepth bounds chains of schema references, so a registry with
// a reference cycle cannot make parsing recurse without end.
const maxReferenceDepth = 32

// parseRegistered parses a schema fetched from the registry with a private
// cache, after fetching and parsing the schemas it references (named types
// registered under other subjects), depth first.
func parseRegistered(ctx context.Context, cl *sr.Client, sch sr.Schema) (havro.Schema, error) {
	cache := &havro.SchemaCache{}
	seen := map[string]bool{}
	var addRefs func(refs []sr.SchemaReference, depth int) error
	addRefs = func(refs []sr.SchemaReference, depth int) error {
		if depth > maxReferenceDepth {
			return fmt.Errorf("schema references nest deeper than %d levels", maxReferenceDepth)
		}
		for _, ref := range refs {
			k := ref.Subject + "\x00" + strconv.Itoa(ref.Version)
			if seen[k] {
				continue
			}
			seen[k] = true
			ss, err := cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
			if err != nil {
				return fmt.Errorf("fetch referenced schema %q (subject %q, version %d): %w", ref.Name, ref.Subject, ref.Version, describe(err))
			}
			if ss.Type != sr.TypeAvro {
				return fmt.Errorf("referenced schema %q (subject %q, version %d) is a %s schema, not Avro", ref.Name, ref.Subject, ref.Version, ss.Type)
			}
			if err := addRefs(ss.References, depth+1); err != nil {
				return err
			}
			if _, err := havro.ParseWithCache(ss.Schema.Schema, "", cache); err != nil {
				return fmt.Errorf("parse referenced schema %q (subject %q, version %d): %w", ref.Name, ref.Subject, ref.Version, err)
			}
		}
		return nil
	}
	if err := addRefs(sch.References, 0); err != nil {
		return nil, err
	}
	s, err := havro.ParseWithCache(sch.Schema, "", cache)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return s, nil
}
