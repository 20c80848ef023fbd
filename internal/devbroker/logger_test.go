// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestKfakeLogger(t *testing.T) {
	var buf logBuf
	l := &kfakeLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}

	l.Logf(kfake.LogLevelInfo, "consumerJoin: group=%s", "g") // chatter: Debug, filtered
	l.Logf(kfake.LogLevelWarn, "compact %s-%d: oops", "t", 0)
	l.Logf(kfake.LogLevelError, "persist to disk: %v", fs.ErrPermission) // not closing: not collected
	out := buf.String()
	if strings.Contains(out, "consumerJoin") || !strings.Contains(out, "level=WARN msg=\"compact t-0: oops\"") ||
		!strings.Contains(out, "level=ERROR") || !strings.Contains(out, "component=kfake") {
		t.Errorf("unexpected log output:\n%s", out)
	}
	if errs := l.takeCloseErrors(); len(errs) != 0 {
		t.Errorf("collected %v outside Close", errs)
	}

	l.collectCloseErrors(true)
	l.Logf(kfake.LogLevelError, "persist to disk: %v", fs.ErrPermission)
	l.Logf(kfake.LogLevelError, "group %s: something else", "g")
	l.collectCloseErrors(false)
	errs := l.takeCloseErrors()
	if len(errs) != 1 || errs[0].Error() != "persist to disk: permission denied" {
		t.Errorf("collected %v, want the one persist error", errs)
	}
}
