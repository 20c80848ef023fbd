package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.junit.jupiter.api.Test;

/**
 * The names Kafka Streams gives the processors and stores of stream-stream joins, which Eddy's
 * stream.As(name) reproduces (topologytest/join_store_names_test.go): As(name) stands for
 * StreamJoined.withName(name).withStoreName(name). Without withStoreName the stores get generated
 * names, KSTREAM-<OP>-<counter>-store, with the operators Eddy's generated store names carry.
 */
class StreamJoinStoreNamesTest {

    static TopologyDescription describe(String kind, String name, String storeName) {
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, String> l = b.stream("left");
        KStream<String, String> r = b.stream("right");
        StreamJoined<String, String, String> sj = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        if (name != null) sj = sj.withName(name);
        if (storeName != null) sj = sj.withStoreName(storeName);
        JoinWindows w = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofSeconds(5), Duration.ofSeconds(1));
        KStream<String, String> out = switch (kind) {
            case "inner" -> l.join(r, (a, c) -> a + c, w, sj);
            case "left" -> l.leftJoin(r, (a, c) -> a + c, w, sj);
            default -> l.outerJoin(r, (a, c) -> a + c, w, sj);
        };
        out.to("out");
        return b.build().describe();
    }

    static Set<String> processors(TopologyDescription d) {
        Set<String> names = new TreeSet<>();
        for (TopologyDescription.Subtopology st : d.subtopologies()) {
            for (TopologyDescription.Node n : st.nodes()) {
                if (n instanceof TopologyDescription.Processor) names.add(n.name());
            }
        }
        return names;
    }

    static Set<String> stores(TopologyDescription d) {
        Set<String> names = new TreeSet<>();
        for (TopologyDescription.Subtopology st : d.subtopologies()) {
            for (TopologyDescription.Node n : st.nodes()) {
                if (n instanceof TopologyDescription.Processor p) names.addAll(p.stores());
            }
        }
        return names;
    }

    @Test
    void namedJoins() {
        assertEquals(Set.of("j-this-join-store", "j-other-join-store"), stores(describe("inner", "j", "j")));
        assertEquals(Set.of("j-this-join-store", "j-outer-other-join-store", "j-left-shared-join-store"),
                stores(describe("left", "j", "j")));
        assertEquals(Set.of("j-outer-this-join-store", "j-outer-other-join-store", "j-outer-shared-join-store"),
                stores(describe("outer", "j", "j")));

        // The processors named by withName, beside the windowed ones Eddy does not have.
        assertEquals(Set.of("j-this-windowed", "j-other-windowed", "j-this-join", "j-other-join", "j-merge"),
                processors(describe("inner", "j", "j")));
        assertEquals(Set.of("j-this-windowed", "j-other-windowed", "j-this-join", "j-outer-other-join", "j-merge"),
                processors(describe("left", "j", "j")));
        assertEquals(Set.of("j-this-windowed", "j-other-windowed", "j-outer-this-join", "j-outer-other-join", "j-merge"),
                processors(describe("outer", "j", "j")));

        // withStoreName alone names the stores the same way.
        assertEquals(Set.of("s-this-join-store", "s-outer-other-join-store", "s-left-shared-join-store"),
                stores(describe("left", null, "s")));
    }

    @Test
    void generatedStoreNames() {
        // withName alone leaves the stores' names generated.
        assertEquals(Set.of("KSTREAM-JOINTHIS-0000000004-store", "KSTREAM-JOINOTHER-0000000005-store"),
                stores(describe("inner", "j", null)));
        assertEquals(Set.of("KSTREAM-JOINTHIS-0000000004-store", "KSTREAM-OUTEROTHER-0000000005-store",
                "KSTREAM-OUTERSHARED-0000000004-store"), stores(describe("left", null, null)));
        assertEquals(Set.of("KSTREAM-OUTERTHIS-0000000004-store", "KSTREAM-OUTEROTHER-0000000005-store",
                "KSTREAM-OUTERSHARED-0000000004-store"), stores(describe("outer", null, null)));
    }
}
