// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Package serde must not link Avro: applications that do not use Avro
// should not pay for hamba/avro and its dependencies, which live behind
// package serde/avro.
func TestNoAvroDependency(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-deps", "github.com/eddy-streams/eddy/serde").CombinedOutput()
	if err != nil {
		t.Fatalf("%s list -deps: %v\n%s", gobin, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed too little to be checked: %q", out)
	}
	for _, d := range deps {
		for _, banned := range []string{"github.com/hamba/avro", "github.com/json-iterator/go", "github.com/go-viper/mapstructure", "github.com/twmb/franz-go/pkg/sr"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("package serde depends on %s; Avro and registry code belong in package serde/avro", d)
			}
		}
	}
}
