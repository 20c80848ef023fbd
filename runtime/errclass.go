// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Error classes the worker acts on. Each says what a failure means for the
// worker, not where it came from; errors.go turns the ones users must tell
// apart into exported types (RecordError, FencedError, AuthorizationError).

// memberGone reports whether a commit failed because the group coordinator
// no longer knows this member (its session expired) or it is a generation
// behind: its partitions have been, or are being, handed to other members.
// The client rejoins on either. FencedInstanceID (static membership: another
// process took this instance id) is not one of them, as the client does not
// rejoin then.
func memberGone(err error) bool {
	return errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration)
}

// isFenced reports whether err means the worker's transactional producer
// lost its epoch: another producer initialised the same transactional id,
// or the broker aborted a transaction that outlived the transaction timeout
// and bumped the epoch (Kafka reports both as fencing).
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}

// txnBroken reports whether err leaves the transactional producer in a
// state it cannot continue from — the broker no longer knows its producer
// id, or rejected ending the transaction (as after a lost EndTxn response
// whose retry finds the transaction already ended) — so that the producer
// must be rebuilt. Whether the last transaction committed is then unknown
// locally; the rebuild reopens the tasks, whose restore replays any of its
// changelog writes that did commit.
func txnBroken(err error) bool {
	return errors.Is(err, kerr.InvalidTxnState) || errors.Is(err, kerr.InvalidProducerIDMapping) ||
		errors.Is(err, kerr.TransactionAbortable) || errors.Is(err, kerr.UnknownProducerID) ||
		errors.Is(err, kerr.OutOfOrderSequenceNumber)
}

// isDenied reports whether err is an authorization or authentication
// failure: retrying cannot help.
func isDenied(err error) bool {
	for _, e := range []error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.ClusterAuthorizationFailed, kerr.SaslAuthenticationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retriable reports whether a failed produce may succeed when its cycle is
// repeated: broker-side retriable errors, timeouts and fencing (handled by
// rebuild). Authorization failures and records the broker rejects (too
// large, invalid) fail the same way every time.
func retriable(err error) bool {
	if isDenied(err) {
		return false
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable || isFenced(err)
	}
	return true
}

// isMigrated reports whether an offset commit failed because the group
// moved on: the member is gone (memberGone) or a rebalance is under way.
// Its partitions may belong to another member now (Kafka Streams'
// TaskMigratedException). A static member fenced by a twin is not
// migrated but fatal: callers check Config.fencedMember first.
func isMigrated(err error) bool {
	return memberGone(err) || errors.Is(err, kerr.RebalanceInProgress)
}

// unreachable reports whether err says the brokers could not be reached
// (connection refused or dropped, or the end of a transaction timed out):
// the outcome of the transaction is unknown and the producer is rebuilt
// once the brokers answer again.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.DeadlineExceeded)
}
