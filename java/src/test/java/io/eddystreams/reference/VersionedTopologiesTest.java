package io.eddystreams.reference;

import static io.eddystreams.reference.VersionedTopologies.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The small case of the versioned-join conformance test (integration/conformance_versioned_test.go),
 * piped in the order Kafka Streams processes it when the input is on the broker before the
 * application starts (the lower head timestamp of the two partitions first).
 */
class VersionedTopologiesTest {

    private static List<String> read(TopologyTestDriver d, String topic) {
        List<String> out = new ArrayList<>();
        for (TestRecord<String, String> r : d.createOutputTopic(topic, Serdes.String().deserializer(),
                Serdes.String().deserializer()).readRecordsToList()) {
            out.add(r.key() + "=" + (r.value() == null ? "<null>" : r.value()) + "@" + r.timestamp());
        }
        return out;
    }

    @Test
    void small() {
        Topology t = Topologies.spec("versioned-join").build().apply("");
        try (TopologyTestDriver d = Drivers.driver(t, "versioned-test")) {
            TestInputTopic<String, String> s = d.createInputTopic(VS_STREAM, Serdes.String().serializer(), Serdes.String().serializer());
            TestInputTopic<String, String> tb = d.createInputTopic(VS_TABLE, Serdes.String().serializer(), Serdes.String().serializer());
            tb.pipeInput("k1", "a", 1000L);
            s.pipeInput("k1", "s1", 1030L);
            s.pipeInput("k1", "s2", 1010L);
            s.pipeInput("k1", "s4", 1040L);
            tb.pipeInput("k1", "b", 1100L);
            tb.pipeInput("k1", "x", 1020L);
            tb.pipeInput("k1", "c", 1150L);
            s.pipeInput("k1", "s5", 1160L);
            s.pipeInput("k1", "s6", 990L);
            tb.pipeInput("k1", null, 1200L);
            s.pipeInput("k1", "s7", 1250L);
            s.pipeInput("k2", "s8", 1300L);
            s.pipeInput("k1", "s3", 1500L);
            s.pipeInput("k1", "s9", 1161L);
            s.pipeInput("k2", "s10", 1650L);
            tb.pipeInput("k2", "z", 2000L);
            tb.pipeInput("k2", "late", 1600L);
            s.pipeInput("k2", "s11", 2100L);
            s.pipeInput("k1", "s12", 1170L);
            s.pipeInput("k2", "s13", 1900L);
            assertEquals(List.of("k1=s1|a@1030", "k1=s2|a@1010", "k1=s4|a@1040", "k1=s5|c@1160", "k1=s9|c@1161",
                    "k2=s11|z@2100"), read(d, VS_JOIN));
            assertEquals(List.of("k1=s1|a@1030", "k1=s2|a@1010", "k1=s4|a@1040", "k1=s5|c@1160", "k1=s6|null@990",
                    "k1=s7|null@1250", "k2=s8|null@1300", "k1=s3|null@1500", "k1=s9|c@1161", "k2=s10|null@1650",
                    "k2=s11|z@2100", "k1=s12|null@1170", "k2=s13|null@1900"), read(d, VS_LEFT_JOIN));
            assertEquals(List.of("k1=a@1000", "k1=b@1100", "k1=x@1020", "k1=c@1150", "k1=<null>@1200", "k2=z@2000"),
                    read(d, VS_CHANGES));
        }
    }

    /**
     * The small case of versioned-derived (integration/conformance_versioned_test.go, derivedSmall):
     * joins through the value getters of filter().mapValues() of the versioned table, as of each
     * record's timestamp, and through the filter materialized in a versioned store.
     */
    @Test
    void derivedSmall() {
        Topology t = Topologies.spec("versioned-derived").build().apply("");
        try (TopologyTestDriver d = Drivers.driver(t, "versioned-derived-test")) {
            TestInputTopic<String, String> s = d.createInputTopic(VS_STREAM, Serdes.String().serializer(), Serdes.String().serializer());
            TestInputTopic<String, String> tb = d.createInputTopic(VS_TABLE, Serdes.String().serializer(), Serdes.String().serializer());
            tb.pipeInput("k1", "a", 1000L);
            s.pipeInput("k1", "s1", 1030L);
            s.pipeInput("k1", "s2", 1010L);
            s.pipeInput("k1", "s4", 1040L);
            tb.pipeInput("k1", "b", 1100L);
            tb.pipeInput("k1", "x", 1020L);
            tb.pipeInput("k1", "c", 1150L);
            tb.pipeInput("k1", "y3", 1130L);
            tb.pipeInput("k1", "w6", 1105L);
            s.pipeInput("k1", "s5", 1160L);
            s.pipeInput("k1", "s6", 990L);
            tb.pipeInput("k1", null, 1200L);
            s.pipeInput("k1", "s7", 1250L);
            s.pipeInput("k2", "s8", 1300L);
            s.pipeInput("k1", "s3", 1500L);
            s.pipeInput("k1", "s9", 1161L);
            s.pipeInput("k1", "s14", 1135L);
            s.pipeInput("k1", "s15", 1107L);
            s.pipeInput("k1", "s16", 1102L);
            s.pipeInput("k2", "s10", 1650L);
            tb.pipeInput("k2", "z", 2000L);
            tb.pipeInput("k2", "late", 1600L);
            s.pipeInput("k2", "s11", 2100L);
            s.pipeInput("k1", "s12", 1170L);
            s.pipeInput("k2", "s13", 1900L);
            tb.pipeInput("k2", "q9", 2200L);
            s.pipeInput("k2", "s17", 2250L);
            s.pipeInput("k2", "s18", 2150L);
            List<String> left = List.of("k1=s1|A@1030", "k1=s2|A@1010", "k1=s4|A@1040", "k1=s5|C@1160", "k1=s6|null@990",
                    "k1=s7|null@1250", "k2=s8|null@1300", "k1=s3|null@1500", "k1=s9|C@1161", "k1=s14|null@1135",
                    "k1=s15|null@1107", "k1=s16|B@1102", "k2=s10|null@1650", "k2=s11|Z@2100", "k1=s12|null@1170",
                    "k2=s13|null@1900", "k2=s17|null@2250", "k2=s18|Z@2150");
            assertEquals(List.of("k1=s1|A@1030", "k1=s2|A@1010", "k1=s4|A@1040", "k1=s5|C@1160", "k1=s9|C@1161",
                    "k1=s16|B@1102", "k2=s11|Z@2100", "k2=s18|Z@2150"), read(d, VS_DJOIN));
            assertEquals(left, read(d, VS_DLEFT_JOIN));
            assertEquals(List.of("k1=s2|A@1010", "k1=s1|null@1030", "k1=s4|null@1040", "k1=s6|null@990", "k1=s5|C@1160",
                    "k1=s7|null@1250", "k2=s8|null@1300", "k1=s9|C@1161", "k1=s14|null@1135", "k1=s15|null@1107",
                    "k1=s16|B@1102", "k1=s3|null@1500", "k2=s10|null@1650", "k1=s12|null@1170", "k2=s13|null@1900",
                    "k2=s11|Z@2100", "k2=s18|Z@2150"), read(d, VS_DGRACE));
            assertEquals(left, read(d, VS_MLEFT_JOIN));
            assertEquals(List.of("k1=a@1000", "k1=b@1100", "k1=<null>@1020", "k1=c@1150", "k1=<null>@1130",
                    "k1=<null>@1105", "k1=<null>@1200", "k2=z@2000", "k2=<null>@2200"), read(d, VS_FCHANGES));
            assertEquals(List.of("k1=1@1000", "k1=2@1100", "k1=3@1100", "k1=4@1150", "k1=5@1150", "k1=6@1150",
                    "k2=1@2000", "k2=2@2200"), read(d, VS_VCOUNT));
            assertEquals(List.of("k1=s1|1@1030", "k1=s2|1@1010", "k1=s4|1@1040", "k1=s5|6@1160", "k1=s6|null@990",
                    "k1=s7|6@1250", "k2=s8|null@1300", "k1=s3|6@1500", "k1=s9|6@1161", "k1=s14|3@1135",
                    "k1=s15|3@1107", "k1=s16|3@1102", "k2=s10|null@1650", "k2=s11|1@2100", "k1=s12|6@1170",
                    "k2=s13|null@1900", "k2=s17|2@2250", "k2=s18|1@2150"), read(d, VS_CJOIN));
            // s12's count (k1's 12th, at 1500 < 2100 - 300) is not put, so not forwarded.
            assertEquals(List.of("k1=1@1030", "k1=2@1030", "k1=3@1040", "k1=4@1160", "k1=5@1160", "k1=6@1250",
                    "k2=1@1300", "k1=7@1500", "k1=8@1500", "k1=9@1500", "k1=10@1500", "k1=11@1500", "k2=2@1650",
                    "k2=3@2100", "k2=4@2100", "k2=5@2250", "k2=6@2250"), read(d, VS_SCOUNT));
            // Through transformValues' getter: no row is "none" (a row for the inner join), a value the
            // transformer drops no row (s14, s15, s17); the context has the version's timestamp, no topic.
            assertEquals(List.of("k1=s1|A/1000@1030", "k1=s2|A/1000@1010", "k1=s4|A/1000@1040", "k1=s5|C/1150@1160",
                    "k1=s6|none@990", "k1=s7|none@1250", "k2=s8|none@1300", "k1=s3|none@1500", "k1=s9|C/1150@1161",
                    "k1=s16|B/1100@1102", "k2=s10|none@1650", "k2=s11|Z/2000@2100", "k1=s12|none@1170",
                    "k2=s13|none@1900", "k2=s18|Z/2000@2150"), read(d, VS_TJOIN));
            // filter(keep).join(t): each side reads the other's latest version after the update; the
            // filter of the versioned table forwards q9's change though it drops both rows (a deletion).
            assertEquals(List.of("k1=a+a@1000", "k1=a+a@1000", "k1=b+b@1100", "k1=b+b@1100", "k1=c+c@1150",
                    "k1=c+c@1150", "k2=z+z@2000", "k2=z+z@2000", "k2=<null>@2200"), read(d, VS_SELFJOIN));
        }
    }

    /**
     * A versioned table's toStream() forwards updates that are not the key's latest version (out
     * of order); only joins and aggregations ignore them. An update older than the history
     * retention is not forwarded. topologytest/versioned_test.go expects the same of Eddy.
     */
    @Test
    void toStreamForwardsOutOfOrderUpdates() {
        StreamsBuilder b = new StreamsBuilder();
        b.table("t", Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore("rows", Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream().to("changes", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "versioned-tostream-test")) {
            TestInputTopic<String, String> tb = d.createInputTopic("t", Serdes.String().serializer(), Serdes.String().serializer());
            tb.pipeInput("k", "a", 1000L);
            tb.pipeInput("k", "old", 900L);
            tb.pipeInput("k", "b", 2000L);
            tb.pipeInput("k", "too-old", 1000L);
            assertEquals(List.of("k=a@1000", "k=old@900", "k=b@2000"), read(d, "changes"));
        }
    }

    /**
     * The small case of versioned-oldvalue (integration/conformance_versioned_test.go): a filter and a
     * mapValues of a plain table materialized in versioned stores forward their store's latest row as
     * the old value, which the aggregation subtracts; the filter drops a change it has no row for.
     */
    @Test
    void oldValueSmall() {
        Topology t = Topologies.spec("versioned-oldvalue").build().apply("");
        try (TopologyTestDriver d = Drivers.driver(t, "versioned-oldvalue-test")) {
            TestInputTopic<String, String> tb = d.createInputTopic(VS_TABLE, Serdes.String().serializer(), Serdes.String().serializer());
            tb.pipeInput("k1", "a", 1000L);
            tb.pipeInput("k1", "b", 900L);
            tb.pipeInput("k1", "c", 1100L);
            tb.pipeInput("k1", "d3", 1200L);
            tb.pipeInput("k1", "e6", 1300L);
            tb.pipeInput("k1", "f", 1250L);
            tb.pipeInput("k2", "z", 2000L);
            tb.pipeInput("k2", null, 2100L);
            tb.pipeInput("k2", "late", 1500L);
            assertEquals(List.of("k1=+a@1000", "k1=+a-a+c@1100", "k1=+a-a+c-c@1200", "k1=+a-a+c-c+f@1250", "k2=+z@2000",
                    "k2=+z-z@2100"), read(d, VO_FAGG));
            assertEquals(List.of("k1=+A@1000", "k1=+A-A+C@1100", "k1=+A-A+C-C+D3@1200", "k1=+A-A+C-C+D3-D3+E6@1300",
                    "k2=+Z@2000", "k2=+Z-Z@2100"), read(d, VO_MAGG));
        }
    }
}
