package io.eddystreams.reference;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * Runs one reference topology against a broker:
 *
 * <pre>
 * java -jar target/eddy-reference.jar &lt;topology&gt;[,&lt;topology&gt;...] --bootstrap HOST:PORT --app-id ID
 *     [--guarantee at_least_once|exactly_once_v2] [--commit-interval-ms N] [--cache-bytes N]
 *     [--state-dir DIR] [--threads N] [--create-topics PARTITIONS] [--topic-prefix P]...
 *     [--prop key=value]... [--leave-group-on-close] [--print-restores] [--describe]
 * </pre>
 *
 * <p>{@code --topic-prefix P} puts P before every user topic name (text-lines → P + text-lines),
 * so several runs can share one broker; internal topics already carry the application id.
 * Composable topologies (the join and merge ones, see {@link JoinTopologies}) can run several times
 * in one application: {@code a,b --topic-prefix P --topic-prefix Q} runs a on P and b on Q, and
 * {@code a --topic-prefix P --topic-prefix Q} runs a on both (see {@link Topologies#build}).
 *
 * Prints {@code STATE <NAME> <epoch-ms>} on stdout for every KafkaStreams state change (so
 * {@code STATE RUNNING <ms>} once it is running), runs until SIGTERM/SIGINT, then closes the
 * client and prints {@code STATE CLOSED <epoch-ms>}. If the client reaches ERROR it closes and
 * exits with status 1.
 *
 * <p>{@code --leave-group-on-close} closes with {@code LEAVE_GROUP}, so a new instance of the same
 * application is assigned the tasks at once instead of after the session timeout (the benchmark's
 * restore measurement restarts the application). {@code --print-restores} prints
 * {@code RESTORE_START <store> <topic> <partition> <start-offset> <end-offset> <epoch-ms>} and
 * {@code RESTORE_END <store> <topic> <partition> <restored-records> <epoch-ms>} for every changelog
 * partition restored.
 *
 * <p>Logs go to stderr (slf4j-simple, WARN by default; raise with
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info}).
 */
public final class Main {
    private static final PrintStream OUT = System.out;

    private Main() {}

    private static void usage(String error) {
        if (error != null) {
            System.err.println("error: " + error);
        }
        System.err.println("usage: java -jar eddy-reference.jar <" + Topologies.names() + ">[,<topology>...] "
                + "--bootstrap HOST:PORT --app-id ID [--guarantee at_least_once|exactly_once_v2] "
                + "[--commit-interval-ms N] [--cache-bytes N] [--state-dir DIR] [--threads N] "
                + "[--create-topics PARTITIONS] [--topic-prefix P]... [--prop key=value]... "
                + "[--leave-group-on-close] [--print-restores] [--describe]");
        System.exit(2);
    }

    private static synchronized void state(String name) {
        line("STATE " + name);
    }

    /** Prints {@code text <epoch-ms>} on stdout. */
    private static synchronized void line(String text) {
        OUT.println(text + " " + System.currentTimeMillis());
        OUT.flush();
    }

    /** Prints the restore of every changelog partition (--print-restores). */
    private static final class RestorePrinter implements StateRestoreListener {
        @Override
        public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
            line("RESTORE_START " + store + " " + tp.topic() + " " + tp.partition() + " " + start + " " + end);
        }

        @Override
        public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {}

        @Override
        public void onRestoreEnd(TopicPartition tp, String store, long total) {
            line("RESTORE_END " + store + " " + tp.topic() + " " + tp.partition() + " " + total);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("-")) {
            usage("missing topology");
        }
        List<Topologies.Spec> specs = new ArrayList<>();
        for (String name : args[0].split(",", -1)) {
            Topologies.Spec spec = Topologies.spec(name);
            if (spec == null) {
                usage("unknown topology " + name);
            }
            specs.add(spec);
        }
        String bootstrap = null;
        String appId = null;
        String guarantee = StreamsConfig.AT_LEAST_ONCE;
        Integer createPartitions = null;
        boolean describe = false;
        boolean leaveGroup = false;
        boolean printRestores = false;
        List<String> prefixes = new ArrayList<>();
        Properties props = new Properties();
        List<String[]> extra = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--describe")) {
                describe = true;
                continue;
            }
            if (a.equals("--leave-group-on-close")) {
                leaveGroup = true;
                continue;
            }
            if (a.equals("--print-restores")) {
                printRestores = true;
                continue;
            }
            if (i + 1 >= args.length) {
                usage("missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--bootstrap" -> bootstrap = v;
                case "--app-id" -> appId = v;
                case "--guarantee" -> {
                    if (!v.equals(StreamsConfig.AT_LEAST_ONCE) && !v.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
                        usage("--guarantee must be at_least_once or exactly_once_v2");
                    }
                    guarantee = v;
                }
                case "--commit-interval-ms" -> props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, num(a, v));
                case "--cache-bytes" -> props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, num(a, v));
                case "--state-dir" -> props.put(StreamsConfig.STATE_DIR_CONFIG, v);
                case "--threads" -> props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, num(a, v));
                case "--create-topics" -> createPartitions = Integer.parseInt(num(a, v));
                case "--topic-prefix" -> prefixes.add(v);
                case "--prop" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        usage("--prop wants key=value");
                    }
                    extra.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                default -> usage("unknown option " + a);
            }
        }

        Topology topology = null;
        try {
            topology = Topologies.build(specs, prefixes);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
        }
        if (describe) {
            OUT.println(topology.describe());
            return;
        }
        if (bootstrap == null || appId == null) {
            usage("--bootstrap and --app-id are required");
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        for (String[] kv : extra) {
            props.put(kv[0], kv[1]);
        }

        if (createPartitions != null) {
            List<String> ps = prefixes.isEmpty() ? List.of("") : prefixes;
            for (int i = 0; i < ps.size(); i++) {
                createTopics(bootstrap, specs.get(specs.size() == 1 ? 0 : i), ps.get(i), createPartitions);
            }
        }

        KafkaStreams streams = new KafkaStreams(topology, props);
        if (printRestores) {
            streams.setGlobalStateRestoreListener(new RestorePrinter());
        }
        CountDownLatch stop = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        CountDownLatch notRunning = new CountDownLatch(1);
        streams.setStateListener((newState, oldState) -> {
            state(newState.name());
            if (newState == KafkaStreams.State.NOT_RUNNING) {
                notRunning.countDown();
            }
            if (newState == KafkaStreams.State.ERROR) {
                failed.set(true);
                stop.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("stream thread failed: " + e);
            e.printStackTrace();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });

        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "eddy-reference-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        streams.start();
        stop.await();
        try {
            CloseOptions close = CloseOptions.timeout(Duration.ofSeconds(60));
            if (leaveGroup) {
                close = close.withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
            }
            boolean done = streams.close(close);
            // the listener sees NOT_RUNNING on Kafka's shutdown thread, possibly after close() returns
            notRunning.await(done && !failed.get() ? 5 : 0, java.util.concurrent.TimeUnit.SECONDS);
            state(done ? "CLOSED" : "CLOSE_TIMEOUT");
        } finally {
            closed.countDown();
        }
        if (failed.get()) {
            Runtime.getRuntime().removeShutdownHook(hook);
            System.exit(1);
        }
    }

    private static String num(String flag, String v) {
        try {
            Long.parseLong(v);
        } catch (NumberFormatException e) {
            usage(flag + " wants a number, got " + v);
        }
        return v;
    }

    private static void createTopics(String bootstrap, Topologies.Spec spec, String prefix, int partitions)
            throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            List<String> names = new ArrayList<>(spec.inputs(prefix));
            names.addAll(spec.outputs(prefix));
            for (String t : names) {
                try {
                    admin.createTopics(List.of(new NewTopic(t, partitions, (short) -1))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }
}
