package io.eddystreams.reference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/** TopologyTestDriver construction shared by the tests. */
final class Drivers {
    private Drivers() {}

    /** Record cache off: every store update is forwarded (the default setup of the tests and fixtures). */
    static final long NO_CACHE = 0L;
    /** Kafka Streams' default cache size (10 MiB). */
    static final long DEFAULT_CACHE = 10L * 1024 * 1024;

    static Properties props(String appId, long cacheBytes) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(cacheBytes));
        try {
            p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("eddy-ref-ttd").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    static TopologyTestDriver driver(Topology t, String appId, long cacheBytes) {
        return new TopologyTestDriver(t, props(appId, cacheBytes));
    }

    static TopologyTestDriver driver(Topology t, String appId) {
        return driver(t, appId, NO_CACHE);
    }

    static Path moduleDir() {
        String base = System.getProperty("basedir");
        return base != null && !base.isEmpty() ? Path.of(base) : Path.of("").toAbsolutePath();
    }
}
