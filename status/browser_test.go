// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumEnv names the Chromium binary the browser test drives; .ci/run
// installs Debian's chromium and sets it.
const chromiumEnv = "EDDY_CHROMIUM"

// chromium runs headless Chromium with args and returns its standard
// output. The flags keep it off the network (this machine's is closed).
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).Output()
	require.NoError(t, err, "chromium %v", args)
	return string(out)
}

// The status page loads in a real browser: the DOM it builds has the
// instance, every task and the drawn graph.
func TestStatusPageInBrowser(t *testing.T) {
	bin := os.Getenv(chromiumEnv)
	if bin == "" {
		t.Skipf("set %s to a Chromium binary (e.g. /usr/bin/chromium) to run the browser test; .ci/run does", chromiumEnv)
	}
	url, app := runWordCount(t)
	dom := chromium(t, bin, "--dump-dom", url+"/")
	assert.Contains(t, dom, `id="instance">status-1<`)
	assert.Contains(t, dom, `id="app-state">RUNNING<`)
	assert.Equal(t, 6, strings.Count(dom, `<tr class="task"`), "every task is shown")
	assert.Equal(t, app.Topology().Subtopologies(), strings.Count(dom, `class="subtopology"`), "the graph is drawn")
	assert.GreaterOrEqual(t, strings.Count(dom, `class="node `), 6, "its nodes too")

	// A screenshot, kept where EDDY_STATUS_SCREENSHOT says (the README's).
	if dst := os.Getenv("EDDY_STATUS_SCREENSHOT"); dst != "" {
		png := filepath.Join(t.TempDir(), "status.png")
		chromium(t, bin, "--screenshot="+png, "--window-size=1280,1000", "--hide-scrollbars", url+"/")
		b, err := os.ReadFile(png)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dst, b, 0o644))
	}
}
