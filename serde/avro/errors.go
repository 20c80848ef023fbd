// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/eddy-streams/eddy/serde"
)

const serdeName = "Avro"

func serErr(topic string, err error) error {
	return &serde.Error{Serde: serdeName, Op: "serialize", Topic: topic, Err: err}
}

func deErr(topic string, err error) error {
	return &serde.Error{Serde: serdeName, Op: "deserialize", Topic: topic, Err: err}
}

// code returns the Schema Registry error code of err (such as 40403,
// schema not found), or 0.
func code(err error) int {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return 0
}

// describe adds the request and HTTP status to a registry error, whose own
// text is only the registry's message.
func describe(err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		return &responseError{re}
	}
	return err
}

type responseError struct{ re *sr.ResponseError }

func (e *responseError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d, error code %d: %s", e.re.Method, e.re.URL, e.re.StatusCode, e.re.ErrorCode, e.re.Error())
}

func (e *responseError) Unwrap() error { return e.re }
