// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// kfakeLogger forwards kfake's log lines to slog. kfake's Info messages are
// per-request and per-member chatter, so they go to Debug; its Debug to
// below Debug.
//
// While Close runs it also collects the errors kfake logs (and otherwise
// swallows) when saving state to the data directory, so Close can return
// them.
type kfakeLogger struct {
	log *slog.Logger

	mu         sync.Mutex
	collecting bool
	closeErrs  []error
}

// Messages kfake's Cluster.Close logs at Error when persisting fails.
var closeErrorPrefixes = []string{"persist to disk", "save session state"}

func (l *kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	if level == kfake.LogLevelError {
		l.mu.Lock()
		if l.collecting {
			for _, p := range closeErrorPrefixes {
				if strings.HasPrefix(format, p) {
					l.closeErrs = append(l.closeErrs, fmt.Errorf(format, args...))
					break
				}
			}
		}
		l.mu.Unlock()
	}
	var sl slog.Level
	switch level {
	case kfake.LogLevelNone:
		return
	case kfake.LogLevelError:
		sl = slog.LevelError
	case kfake.LogLevelWarn:
		sl = slog.LevelWarn
	case kfake.LogLevelInfo:
		sl = slog.LevelDebug
	default:
		sl = slog.LevelDebug - 4
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, sl) {
		return
	}
	l.log.Log(ctx, sl, fmt.Sprintf(format, args...), "component", "kfake")
}

func (l *kfakeLogger) collectCloseErrors(on bool) {
	l.mu.Lock()
	l.collecting = on
	l.mu.Unlock()
}

func (l *kfakeLogger) takeCloseErrors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := l.closeErrs
	l.closeErrs = nil
	return errs
}
