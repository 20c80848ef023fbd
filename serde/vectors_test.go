// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// javaVector is one row of testdata/java_vectors.tsv, which
// testdata/javagen/JavaVectors.java generates with Kafka's Java serdes.
type javaVector struct {
	line int
	kind string
	cols []string
}

// javaVectors returns the rows of the given kind; it fails the test if
// there are none.
func javaVectors(t testing.TB, kind string) []javaVector {
	t.Helper()
	f, err := os.Open("testdata/java_vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []javaVector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if cols[0] == kind {
			out = append(out, javaVector{line: n, kind: cols[0], cols: cols[1:]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no %s vectors in testdata/java_vectors.tsv", kind)
	}
	return out
}

func (v javaVector) name() string { return v.kind + "@" + strconv.Itoa(v.line) }

func (v javaVector) hex(t testing.TB, i int) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.cols[i])
	if err != nil {
		t.Fatalf("%s: column %d: %v", v.name(), i, err)
	}
	return b
}

func (v javaVector) str(t testing.TB, i int) string {
	t.Helper()
	s, err := strconv.Unquote(v.cols[i])
	if err != nil {
		t.Fatalf("%s: column %d: %v", v.name(), i, err)
	}
	return s
}

func (v javaVector) int(t testing.TB, i, bits int) int64 {
	t.Helper()
	n, err := strconv.ParseInt(v.cols[i], 10, bits)
	if err != nil {
		t.Fatalf("%s: column %d: %v", v.name(), i, err)
	}
	return n
}

func (v javaVector) float(t testing.TB, i, bits int) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(v.cols[i], bits)
	if err != nil {
		t.Fatalf("%s: column %d: %v", v.name(), i, err)
	}
	return f
}
