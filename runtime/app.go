// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/devbroker"
	"github.com/eddy-streams/eddy/internal/dirlock"
	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
)

// App is one application instance.
type App struct {
	cfg     Config
	topo    *topology.Topology
	stopo   *stream.Topology // as the user built it
	log     *slog.Logger
	brokers []string
	fake    *devbroker.Broker
	adm     *kadm.Client
	admCl   *kgo.Client
	cache   *pebble.Cache
	parts   *partitionCache
	plan    *topicPlan
	metrics metrics
	global  atomic.Pointer[globalState] // global tables' stores and updater (global.go)
	meta    groupMeta                   // the group's description, for queries (querymeta.go)

	handover sync.Mutex   // serializes standby→active handovers across workers
	unlock   func() error // releases the state directory lock
	mu       sync.Mutex
	notifyMu sync.Mutex // held across a state change and its listener call
	state    State
	workers  []*worker
	cancel   context.CancelFunc
	done     chan struct{}
	runErr   error
	started  bool
}

// New prepares an instance of the application; Run starts it. With
// Config.EmbeddedBroker, New starts the embedded broker, so Brokers can be
// used (to create topics, produce input) before Run.
func New(topo *stream.Topology, cfg Config) (*App, error) {
	t, ok := topology.Of(topo)
	if !ok {
		return nil, errors.New("runtime: nil or unbuilt topology")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	appDir := cfg.appDir()
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		return nil, fmt.Errorf("runtime: state directory: %w", err)
	}
	unlock, err := dirlock.Lock(appDir, ".lock")
	if err != nil {
		return nil, fmt.Errorf("runtime: state directory %s: %w; give each instance its own Config.StateDir", appDir, err)
	}
	// The instance-id file is read and written only under the lock.
	if err := cfg.loadInstanceID(); err != nil {
		unlock()
		return nil, err
	}
	a := &App{cfg: cfg, topo: t, stopo: topo, log: cfg.Logger.With("app", cfg.AppID), brokers: cfg.Brokers, done: make(chan struct{}), unlock: unlock}
	if cfg.EmbeddedBroker {
		b, err := devbroker.Start(context.Background(), devbroker.Options{DisableAutoCreateTopics: true, Logger: a.log})
		if err != nil {
			unlock()
			return nil, fmt.Errorf("runtime: start embedded broker: %w", err)
		}
		a.fake, a.brokers = b, b.Addrs()
		a.log.Warn("running on an embedded in-process broker (Config.EmbeddedBroker): its data is in memory and lost when the application closes; set Config.Brokers to use a Kafka cluster",
			"addrs", a.brokers)
	}
	cl, err := kgo.NewClient(a.baseOpts()...)
	if err != nil {
		a.closeBroker()
		a.unlock()
		return nil, fmt.Errorf("runtime: admin client: %w", err)
	}
	a.admCl, a.adm = cl, kadm.NewClient(cl)
	a.parts = &partitionCache{cl: cl, adm: a.adm, counts: map[string]int32{}}
	if a.cache, err = newStateCache(&a.cfg); err != nil { // Config.StateMemoryBytes
		a.Close(context.Background())
		return nil, err
	}
	return a, nil
}

// Brokers returns the bootstrap servers the instance uses: Config.Brokers,
// or the embedded broker's address under Config.EmbeddedBroker.
func (a *App) Brokers() []string { return a.brokers }

// Topology returns the topology the instance runs.
func (a *App) Topology() *stream.Topology { return a.stopo }

// State returns the lifecycle state.
func (a *App) State() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

func (a *App) setState(s State) {
	// notifyMu orders the change with its listener call: a later change
	// waits until the listener has seen this one.
	a.notifyMu.Lock()
	defer a.notifyMu.Unlock()
	a.mu.Lock()
	old := a.state
	if old == s || old == Error || old == NotRunning && s != NotRunning {
		a.mu.Unlock()
		return
	}
	a.state = s
	a.mu.Unlock()
	a.log.Info("state change", "from", old.String(), "to", s.String())
	if a.cfg.StateListener != nil {
		a.cfg.StateListener(old, s)
	}
}

func (a *App) baseOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(a.brokers...),
		// Refresh metadata at most once a second (kgo's default is 5 s),
		// so leader moves and coordinator changes heal quickly.
		kgo.MetadataMinAge(time.Second),
	}
	return append(opts, a.cfg.ClientOptions...)
}

func (a *App) taskDir(id engine.TaskID) string {
	return filepath.Join(a.cfg.StateDir, a.cfg.AppID, id.String())
}

// Run starts the workers and blocks until ctx ends (graceful shutdown:
// commit, close stores, leave the group) or a fatal error.
//
// Errors a program may need to tell apart are found in Run's error with
// errors.As: a *RecordError (the input record the application stopped on,
// with its position), a *FencedError (another live process uses this
// instance's InstanceID or GroupInstanceID) and an *AuthorizationError
// (the brokers refused the principal an ACL, or its authentication).
// Restarting with the same configuration fails the same way; each error
// says what to change.
func (a *App) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("runtime: Run called twice")
	}
	a.started = true
	ctx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	a.mu.Unlock()
	defer close(a.done)
	defer cancel()

	a.setState(Rebalancing)
	plan, err := setupTopics(ctx, a.admCl, a.adm, a.topo, a.cfg.AppID)
	if err != nil {
		if ctx.Err() != nil { // shut down while starting
			a.setState(PendingShutdown)
			a.setState(NotRunning)
			return nil
		}
		a.fail(err)
		return a.runErr
	}
	a.mu.Lock() // queries read it (App.Store)
	a.plan = plan
	a.mu.Unlock()
	if a.cfg.OnError == DeadLetter {
		if err := ensureTopics(ctx, a.admCl, map[string]topicSpec{a.cfg.DeadLetterTopic: {
			partitions: 1, configs: map[string]string{"cleanup.policy": "delete"}, keepExisting: true,
		}}); err != nil {
			a.fail(err)
			return a.runErr
		}
	}
	for topic, n := range plan.partitions {
		a.parts.counts[topic] = n
	}
	if err := os.MkdirAll(filepath.Join(a.cfg.StateDir, a.cfg.AppID), 0o755); err != nil {
		a.fail(fmt.Errorf("state directory: %w", err))
		return a.runErr
	}
	var wg sync.WaitGroup
	errc := make(chan error, a.cfg.Workers+1) // workers and the global stores' updater
	closeGlobal, err := a.startGlobal(ctx, &wg, errc, cancel)
	if err != nil {
		if ctx.Err() != nil { // shut down while bootstrapping
			a.setState(PendingShutdown)
			a.setState(NotRunning)
			return nil
		}
		a.fail(err)
		return a.runErr
	}
	defer closeGlobal() // after every worker has stopped reading the stores
	for i := range a.cfg.Workers {
		w, err := newWorker(ctx, a, i)
		if err != nil {
			cancel()
			wg.Wait()
			a.fail(err)
			return a.runErr
		}
		a.mu.Lock()
		a.workers = append(a.workers, w)
		a.mu.Unlock()
		wg.Go(func() {
			if err := w.run(ctx); err != nil {
				errc <- a.exportError(w.id, fmt.Errorf("worker %d: %w", w.id, err))
				cancel()
			}
		})
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		a.fail(errors.Join(errs...))
		return a.runErr
	}
	a.setState(PendingShutdown)
	a.setState(NotRunning)
	return nil
}

func (a *App) fail(err error) {
	err = a.exportError(-1, err)
	a.mu.Lock()
	if a.runErr == nil {
		a.runErr = err
	}
	a.mu.Unlock()
	a.log.Error("application failed", "err", err)
	a.setState(Error)
}

// Close stops a running instance gracefully, waiting until ctx ends, and
// releases the admin client, the block cache and the embedded broker.
func (a *App) Close(ctx context.Context) error {
	a.mu.Lock()
	cancel, started := a.cancel, a.started
	a.mu.Unlock()
	if started {
		a.setState(PendingShutdown)
		if cancel != nil {
			cancel()
		}
		select {
		case <-a.done:
		case <-ctx.Done():
			return fmt.Errorf("runtime: close: %w", ctx.Err())
		}
	}
	if a.admCl != nil {
		a.admCl.Close()
	}
	if a.cache != nil {
		a.cache.Close()
	}
	a.closeBroker()
	if a.unlock != nil {
		a.unlock()
		a.unlock = nil
	}
	if a.State() != Error {
		a.setState(NotRunning)
	}
	return nil
}

func (a *App) closeBroker() {
	if a.fake != nil {
		if err := a.fake.Close(); err != nil {
			a.log.Warn("close embedded broker", "err", err)
		}
		a.fake = nil
	}
}

// updateRunning moves to RUNNING once every worker has restored its tasks.
func (a *App) updateRunning() {
	a.mu.Lock()
	ready := len(a.workers) == a.cfg.Workers
	for _, w := range a.workers {
		ready = ready && w.ready.Load()
	}
	a.mu.Unlock()
	if ready {
		a.setState(Running)
	} else {
		a.setState(Rebalancing)
	}
}

// InstanceID returns the instance's id (configured, or the one kept in the
// state directory).
func (a *App) InstanceID() string { return a.cfg.InstanceID }
