// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import "time"

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }
