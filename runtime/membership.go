// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// groupInstanceID is worker's static group instance id,
// <GroupInstanceID>-<worker>, or "" under dynamic membership. Each worker
// is a group member of its own, so each needs its own id, stable across
// restarts (Kafka Streams appends the thread index the same way).
func (c *Config) groupInstanceID(worker int) string {
	if c.GroupInstanceID == "" {
		return ""
	}
	return c.GroupInstanceID + "-" + strconv.Itoa(worker)
}

// memberOpts are worker's group membership options: kgo.InstanceID with
// the worker's static group instance id when Config.GroupInstanceID is
// set, none otherwise. Append them after baseOpts (so that they override
// a kgo.InstanceID in ClientOptions, which every worker would share).
//
// They set no session timeout: franz-go's default (45 s, Kafka's
// session.timeout.ms default) or a kgo.SessionTimeout in ClientOptions
// applies. With static membership it bounds how long a restart may take
// without a rebalance, and also how long a crashed or stopped instance's
// tasks go unprocessed (see Config.GroupInstanceID). A static member does
// not send LeaveGroup when its client closes (franz-go's kgo.InstanceID),
// so a graceful shutdown hands its tasks over only after the session
// timeout too.
func (c *Config) memberOpts(worker int) []kgo.Opt {
	id := c.groupInstanceID(worker)
	if id == "" {
		return nil
	}
	return []kgo.Opt{kgo.InstanceID(id)}
}
