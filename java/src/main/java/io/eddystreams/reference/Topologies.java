package io.eddystreams.reference;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The reference topologies, by the names the Eddy examples use. */
public final class Topologies {
    private static final Logger LOG = LoggerFactory.getLogger(Topologies.class);

    // ---- wordcount ----
    public static final String TEXT_LINES = "text-lines";
    public static final String WORD_COUNTS = "word-counts";
    public static final String WORD_COUNTS_OUTPUT = "word-counts-output";

    // ---- pageviews ----
    public static final String PAGE_VIEWS = "page-views";
    public static final String PAGEVIEWS_PER_MINUTE = "pageviews-per-minute";
    public static final String PAGE_VIEW_COUNTS = "page-view-counts";
    public static final Duration PAGEVIEW_WINDOW = Duration.ofMinutes(1);
    public static final Duration PAGEVIEW_GRACE = Duration.ofSeconds(10);

    // ---- enrichment ----
    public static final String ORDERS = "orders";
    public static final String CUSTOMERS = "customers";
    public static final String ENRICHED_ORDERS = "enriched-orders";

    /** Java's {@code \s}: exactly [ \t\n\x0B\f\r] (ASCII only, no UNICODE_CHARACTER_CLASS). */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /**
     * A topology with its user (non-internal) topics, for --create-topics. {@code build} takes the
     * prefix put before every user topic name (--topic-prefix; "" for the plain names). Internal
     * topics and stores are not prefixed: their names already start with the application id.
     */
    public record Spec(String name, List<String> inputs, List<String> outputs, Function<String, Topology> build,
            BiConsumer<StreamsBuilder, String> addTo) {
        public Spec(String name, List<String> inputs, List<String> outputs, Function<String, Topology> build) {
            this(name, inputs, outputs, build, null);
        }

        /**
         * A topology that can share a builder with others ({@link Topologies#build}): {@code addTo}
         * adds it, with the prefix on its user topics, using generated store and processor names.
         */
        static Spec composable(String name, List<String> inputs, List<String> outputs,
                BiConsumer<StreamsBuilder, String> addTo) {
            return new Spec(name, inputs, outputs, p -> {
                StreamsBuilder b = new StreamsBuilder();
                addTo.accept(b, p);
                return b.build();
            }, addTo);
        }

        /** The input topics with the prefix. */
        public List<String> inputs(String prefix) {
            return inputs.stream().map(t -> prefix + t).toList();
        }

        /** The output topics with the prefix. */
        public List<String> outputs(String prefix) {
            return outputs.stream().map(t -> prefix + t).toList();
        }
    }

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        add(new Spec("wordcount", List.of(TEXT_LINES), List.of(WORD_COUNTS_OUTPUT), p -> wordcount(p)));
        add(new Spec("pageviews", List.of(PAGE_VIEWS), List.of(PAGE_VIEW_COUNTS), p -> pageviews(p)));
        add(new Spec("enrichment", List.of(ORDERS, CUSTOMERS), List.of(ENRICHED_ORDERS), p -> enrichment(p)));
        // benchmark-only topologies (cmd/eddy-bench), see BenchTopologies
        add(new Spec("bench-stateless", List.of(TEXT_LINES), List.of(BenchTopologies.TEXT_UPPER),
                p -> BenchTopologies.stateless(p)));
        add(new Spec("bench-window", List.of(TEXT_LINES), List.of(BenchTopologies.WINDOW_COUNTS_OUTPUT),
                p -> BenchTopologies.window(p)));
        add(new Spec("bench-join", List.of(BenchTopologies.JOIN_STREAM, BenchTopologies.JOIN_TABLE),
                List.of(BenchTopologies.JOIN_OUTPUT), p -> BenchTopologies.join(p)));
        add(new Spec("bench-restore", List.of(BenchTopologies.RESTORE_KEYS), List.of(), p -> BenchTopologies.restore(p)));
        // timestamp-ordered processing across a task's input partitions, see JoinTopologies
        add(Spec.composable("join-stream-table", List.of(JoinTopologies.ST_STREAM, JoinTopologies.ST_TABLE),
                List.of(JoinTopologies.ST_JOIN, JoinTopologies.ST_LEFT_JOIN), JoinTopologies::streamTable));
        List<String> ssOut = List.of(JoinTopologies.SS_JOIN, JoinTopologies.SS_LEFT_JOIN, JoinTopologies.SS_OUTER_JOIN);
        add(Spec.composable("join-stream-stream", List.of(JoinTopologies.SS_LEFT, JoinTopologies.SS_RIGHT), ssOut,
                (b, p) -> JoinTopologies.streamStream(b, p, Duration.ZERO)));
        add(Spec.composable("join-stream-stream-grace", List.of(JoinTopologies.SS_LEFT, JoinTopologies.SS_RIGHT), ssOut,
                (b, p) -> JoinTopologies.streamStream(b, p, JoinTopologies.SS_GRACE)));
        add(Spec.composable("join-table-table", List.of(JoinTopologies.TT_LEFT, JoinTopologies.TT_RIGHT),
                List.of(JoinTopologies.TT_JOIN, JoinTopologies.TT_LEFT_JOIN, JoinTopologies.TT_OUTER_JOIN),
                JoinTopologies::tableTable));
        add(Spec.composable("merge", List.of(JoinTopologies.MERGE_A, JoinTopologies.MERGE_B),
                List.of(JoinTopologies.MERGE_OUT), JoinTopologies::merge));
        // foreign-key table–table joins (KIP-213), see FkJoinTopologies
        add(Spec.composable("fk-join", List.of(FkJoinTopologies.FK_ORDERS, FkJoinTopologies.FK_PRODUCTS),
                List.of(FkJoinTopologies.FK_JOIN, FkJoinTopologies.FK_LEFT_JOIN), FkJoinTopologies::fkJoin));
        add(Spec.composable("fk-join-versioned", List.of(FkJoinTopologies.FK_ORDERS, FkJoinTopologies.FK_PRODUCTS),
                List.of(FkJoinTopologies.FK_JOIN, FkJoinTopologies.FK_LEFT_JOIN), FkJoinTopologies::fkJoinVersioned));
        add(Spec.composable("fk-join-versioned-left", List.of(FkJoinTopologies.FK_ORDERS, FkJoinTopologies.FK_PRODUCTS),
                List.of(FkJoinTopologies.FK_JOIN, FkJoinTopologies.FK_LEFT_JOIN), FkJoinTopologies::fkJoinVersionedLeft));
        // cogrouped aggregations (KIP-150), see CogroupTopologies
        add(Spec.composable("cogroup", List.of(CogroupTopologies.CG_A, CogroupTopologies.CG_B, CogroupTopologies.CG_C),
                List.of(CogroupTopologies.CG_AGG, CogroupTopologies.CG_WINDOWED, CogroupTopologies.CG_SESSION,
                        CogroupTopologies.CG_SLIDING), CogroupTopologies::cogroup));
        add(Spec.composable("cogroup-repartition", List.of(CogroupTopologies.CG_A, CogroupTopologies.CG_B, CogroupTopologies.CG_R),
                List.of(CogroupTopologies.CG_RSUM), CogroupTopologies::cogroupRepartition));
        // exception handlers and the dead-letter queue (KIP-1033, KIP-1034), see HandlerTopologies
        add(Spec.composable("handlers", List.of(HandlerTopologies.EH_IN),
                List.of(HandlerTopologies.EH_OUT), HandlerTopologies::handlers));
        // KTable#transformValues with a stateful transformer, see TransformValuesTopologies
        add(Spec.composable("transform-values", List.of(TransformValuesTopologies.WORDS),
                List.of(TransformValuesTopologies.OUT, TransformValuesTopologies.GROUPED, TransformValuesTopologies.MAT_OUT,
                        TransformValuesTopologies.MAT_GROUPED), TransformValuesTopologies::transformValues));
        // stream–table joins over a versioned table (KIP-889, KIP-914), see VersionedTopologies
        add(Spec.composable("versioned-join", List.of(VersionedTopologies.VS_STREAM, VersionedTopologies.VS_TABLE),
                List.of(VersionedTopologies.VS_JOIN, VersionedTopologies.VS_LEFT_JOIN, VersionedTopologies.VS_CHANGES), VersionedTopologies::versionedJoin));
        add(Spec.composable("versioned-join-grace", List.of(VersionedTopologies.VS_STREAM, VersionedTopologies.VS_TABLE),
                List.of(VersionedTopologies.VS_JOIN, VersionedTopologies.VS_LEFT_JOIN, VersionedTopologies.VS_CHANGES), VersionedTopologies::versionedJoinGrace));
        add(Spec.composable("versioned-derived", List.of(VersionedTopologies.VS_STREAM, VersionedTopologies.VS_TABLE),
                List.of(VersionedTopologies.VS_DJOIN, VersionedTopologies.VS_DLEFT_JOIN, VersionedTopologies.VS_DGRACE,
                        VersionedTopologies.VS_MLEFT_JOIN, VersionedTopologies.VS_FCHANGES, VersionedTopologies.VS_VCOUNT,
                        VersionedTopologies.VS_CJOIN, VersionedTopologies.VS_SCOUNT, VersionedTopologies.VS_TJOIN,
                        VersionedTopologies.VS_SELFJOIN), VersionedTopologies::versionedDerived));
        add(Spec.composable("versioned-oldvalue", List.of(VersionedTopologies.VS_TABLE),
                List.of(VersionedTopologies.VO_FAGG, VersionedTopologies.VO_MAGG), VersionedTopologies::versionedOldValue));
        // sendOldValues of table filters, see OldValuesTopologies
        add(Spec.composable("table-oldvalues", List.of(OldValuesTopologies.OV_A, OldValuesTopologies.OV_B,
                        OldValuesTopologies.OV_C, OldValuesTopologies.OV_D, OldValuesTopologies.OV_E, OldValuesTopologies.OV_F,
                        OldValuesTopologies.OV_G, OldValuesTopologies.OV_OTHER, OldValuesTopologies.OV_STREAM),
                List.of(OldValuesTopologies.OV_NAMED, OldValuesTopologies.OV_BEFORE, OldValuesTopologies.OV_SJOIN,
                        OldValuesTopologies.OV_AFTER, OldValuesTopologies.OV_INNER, OldValuesTopologies.OV_LEFT,
                        OldValuesTopologies.OV_OUTER, OldValuesTopologies.OV_AGG, OldValuesTopologies.OV_VERSIONED,
                        OldValuesTopologies.OV_MAT, OldValuesTopologies.OV_MAT2, OldValuesTopologies.OV_MAT2_FILTER),
                OldValuesTopologies::oldValues));
        add(Spec.composable("table-oldvalues-windowed", List.of(OldValuesTopologies.OV_W),
                List.of(OldValuesTopologies.OV_WCOUNT, OldValuesTopologies.OV_SCOUNT,
                        OldValuesTopologies.OV_SLCOUNT, OldValuesTopologies.OV_KVCOUNT), OldValuesTopologies::windowed));
    }

    private static void add(Spec s) {
        SPECS.put(s.name(), s);
    }

    private Topologies() {}

    public static Map<String, Spec> all() {
        return Collections.unmodifiableMap(SPECS);
    }

    public static Spec spec(String name) {
        return SPECS.get(name);
    }

    // ------------------------------------------------------------------------------------

    /** Lower-cases (Locale.ROOT) and splits on runs of ASCII whitespace, dropping empties. */
    static List<String> words(String line) {
        if (line == null) {
            return List.of();
        }
        String[] parts = WHITESPACE.split(line.toLowerCase(Locale.ROOT));
        List<String> out = new ArrayList<>(parts.length);
        for (String p : parts) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    public static Topology wordcount() {
        return wordcount("");
    }

    /** Word count reading {@code prefix + TEXT_LINES} and writing {@code prefix + WORD_COUNTS_OUTPUT}. */
    public static Topology wordcount(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(prefix + TEXT_LINES, Consumed.with(Serdes.String(), Serdes.String()))
                .flatMapValues(Topologies::words)
                .groupBy((key, word) -> word, Grouped.with(WORD_COUNTS, Serdes.String(), Serdes.String()))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(WORD_COUNTS)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .to(prefix + WORD_COUNTS_OUTPUT, Produced.with(Serdes.String(), Serdes.Long()));
        return b.build();
    }

    public static Topology pageviews() {
        return pageviews("");
    }

    /** Page views reading {@code prefix + PAGE_VIEWS} and writing {@code prefix + PAGE_VIEW_COUNTS}. */
    public static Topology pageviews(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(prefix + PAGE_VIEWS, Consumed.with(Serdes.String(), Serdes.String())
                        .withTimestampExtractor(new PageViewTimestampExtractor()))
                .groupBy((user, json) -> PageViewTimestampExtractor.page(json),
                        Grouped.with(PAGEVIEWS_PER_MINUTE, Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(PAGEVIEW_WINDOW, PAGEVIEW_GRACE))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as(PAGEVIEWS_PER_MINUTE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .to(prefix + PAGE_VIEW_COUNTS, Produced.with(
                        WindowedSerdes.timeWindowedSerdeFrom(String.class, PAGEVIEW_WINDOW.toMillis()),
                        Serdes.Long()));
        return b.build();
    }

    /** A validated order. */
    record Order(String orderId, String customerId, long amount) {}

    /** Parses an order; invalid ones yield an empty list (skipped, logged). */
    static List<Order> parseOrder(String key, String value) {
        JsonNode o = Json.object(value);
        if (o != null) {
            String orderId = Json.string(o, "orderId");
            String customerId = Json.string(o, "customerId");
            if (orderId != null && customerId != null && Json.isLong(o, "amount")) {
                return List.of(new Order(orderId, customerId, Json.longValue(o, "amount")));
            }
        }
        LOG.warn("skipping invalid order key={}: value is not a JSON object with string \"orderId\", "
                + "string \"customerId\" and integer \"amount\"", key);
        return List.of();
    }

    /** The join output, or null (then filtered out) when the customer row is not valid JSON. */
    static String enrich(Order order, String customerJson) {
        JsonNode c = Json.object(customerJson);
        String name = c == null ? null : Json.string(c, "name");
        String region = c == null ? null : Json.string(c, "region");
        if (name == null || region == null) {
            LOG.warn("skipping order {}: customer {} is not a JSON object with string \"name\" and \"region\"",
                    order.orderId(), order.customerId());
            return null;
        }
        return GoJson.object()
                .field("orderId", order.orderId())
                .field("customerId", order.customerId())
                .field("amount", order.amount())
                .field("customerName", name)
                .field("region", region)
                .end();
    }

    public static Topology enrichment() {
        return enrichment("");
    }

    /** Enrichment over {@code prefix + ORDERS}, {@code prefix + CUSTOMERS} → {@code prefix + ENRICHED_ORDERS}. */
    public static Topology enrichment(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        KTable<String, String> customers = b.table(prefix + CUSTOMERS, Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(CUSTOMERS)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()));
        KStream<String, Order> orders = b.stream(prefix + ORDERS, Consumed.with(Serdes.String(), Serdes.String()))
                .flatMapValues(Topologies::parseOrder);
        orders.join(customers, Topologies::enrich)
                .filter((k, v) -> v != null)
                .to(prefix + ENRICHED_ORDERS, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    static String names() {
        return String.join("|", SPECS.keySet());
    }

    /**
     * One topology running several specs, each on its own topic prefix: {@code specs[i]} on
     * {@code prefixes[i]}, or a single spec on every prefix. With one spec and at most one prefix it
     * is that spec's own topology; otherwise every spec must be composable. The Java side of a
     * conformance test runs its small and its randomized input this way, in one JVM.
     *
     * @throws IllegalArgumentException if the specs and prefixes do not pair up or a spec is not composable
     */
    public static Topology build(List<Spec> specs, List<String> prefixes) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("no topology");
        }
        List<String> ps = prefixes.isEmpty() ? List.of("") : prefixes;
        if (specs.size() == 1 && ps.size() == 1) {
            return specs.get(0).build().apply(ps.get(0));
        }
        if (specs.size() != 1 && specs.size() != ps.size()) {
            throw new IllegalArgumentException(specs.size() + " topologies but " + ps.size()
                    + " topic prefixes: give one prefix per topology, or one topology for all prefixes");
        }
        StreamsBuilder b = new StreamsBuilder();
        for (int i = 0; i < ps.size(); i++) {
            Spec s = specs.get(specs.size() == 1 ? 0 : i);
            if (s.addTo() == null) {
                throw new IllegalArgumentException("topology " + s.name()
                        + " runs on one topic prefix only (it names its stores and internal topics)");
            }
            s.addTo().accept(b, ps.get(i));
        }
        return b.build();
    }
}
