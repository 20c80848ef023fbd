// ApicurioVectors prints records serialized by Apicurio Registry's Java
// AvroKafkaSerializer, for the Go tests of package serde/avro. Regenerate
// with gen.sh in this directory.
//
// No registry server runs here, so a fixed SchemaResolver stands in for the
// registry lookup: it hands the serializer the schema with the ids below.
// Everything else (magic byte, id handler, Avro encoding) is Apicurio's own
// code path.
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

import io.apicurio.registry.resolver.ParsedSchemaImpl;
import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.SchemaResolver;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.resolver.strategy.ArtifactReferenceResolverStrategy;
import io.apicurio.registry.rest.client.RegistryClient;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;

public class ApicurioVectors {
    static final HexFormat HEX = HexFormat.of();

    // FixedResolver resolves every record to one schema with fixed ids.
    static class FixedResolver implements SchemaResolver<Schema, Object> {
        final Schema schema;
        final long contentId, globalId;
        SchemaParser<Schema, Object> parser;

        FixedResolver(Schema schema, long contentId, long globalId) {
            this.schema = schema;
            this.contentId = contentId;
            this.globalId = globalId;
        }

        @Override
        public void configure(Map<String, ?> configs, SchemaParser<Schema, Object> parser) {
            this.parser = parser;
        }

        @Override
        public void setClient(RegistryClient client) {}

        @Override
        public void setArtifactResolverStrategy(ArtifactReferenceResolverStrategy<Schema, Object> s) {}

        @Override
        public SchemaParser<Schema, Object> getSchemaParser() {
            return parser;
        }

        SchemaLookupResult<Schema> result() {
            ParsedSchemaImpl<Schema> ps = new ParsedSchemaImpl<Schema>()
                    .setParsedSchema(schema)
                    .setRawSchema(schema.toString().getBytes(StandardCharsets.UTF_8));
            return SchemaLookupResult.<Schema>builder()
                    .parsedSchema(ps)
                    .contentId(contentId)
                    .globalId(globalId)
                    .groupId("default")
                    .artifactId("interop-value")
                    .version("1")
                    .build();
        }

        @Override
        public SchemaLookupResult<Schema> resolveSchema(Record<Object> data) {
            return result();
        }

        @Override
        public SchemaLookupResult<Schema> resolveSchemaByArtifactReference(ArtifactReference ref) {
            return result();
        }

        @Override
        public void reset() {}

        @Override
        public void close() {}
    }

    static GenericRecord record(Schema schema) {
        GenericRecord r = new GenericData.Record(schema);
        r.put("id", "id-\u00e9");
        r.put("n", -1700000000000L);
        r.put("i", 123456);
        r.put("f", 3.141592653589793);
        r.put("g", 0.1f);
        r.put("ok", true);
        r.put("raw", ByteBuffer.wrap(new byte[] {0, 1, (byte) 0xff}));
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 150; i++) tags.add("t" + i);
        r.put("tags", tags);
        r.put("none", new ArrayList<Long>());
        r.put("attrs", Map.of("k", 9L));
        r.put("note", "hi");
        r.put("missing", null);
        r.put("kind", new GenericData.EnumSymbol(schema.getField("kind").schema(), "C"));
        r.put("hash", new GenericData.Fixed(schema.getField("hash").schema(), new byte[] {1, 2, 3, 4}));
        Schema kid = schema.getField("kids").schema().getElementType();
        GenericRecord k1 = new GenericData.Record(kid);
        k1.put("name", "ann");
        k1.put("age", 7);
        GenericRecord k2 = new GenericData.Record(kid);
        k2.put("name", "bob");
        k2.put("age", -3);
        r.put("kids", List.of(k1, k2));
        return r;
    }

    // serialize runs Apicurio's serializer with the given extra config.
    static byte[] serialize(Schema schema, long contentId, long globalId, Map<String, Object> extra) {
        Map<String, Object> cfg = new HashMap<>();
        // Never contacted: the fixed resolver answers every lookup.
        cfg.put(SerdeConfig.REGISTRY_URL, "http://127.0.0.1:9/apis/registry/v2");
        cfg.put(SerdeConfig.ENABLE_HEADERS, false); // the id goes in the payload
        cfg.putAll(extra);
        try (AvroKafkaSerializer<Object> ser = new AvroKafkaSerializer<>(new FixedResolver(schema, contentId, globalId))) {
            ser.configure(cfg, false);
            return ser.serialize("interop", record(schema));
        }
    }

    public static void main(String[] args) throws Exception {
        Schema schema = new Schema.Parser().parse(new java.io.File(args[0]));
        System.out.println("# Generated by testdata/javagen/ApicurioVectors.java with Apicurio Registry 2.6.13.Final's");
        System.out.println("# AvroKafkaSerializer from the record of ../../testdata/interop.avsc. Do not edit.");
        System.out.println("# Columns: framing, the id the serializer was told to write, bytes in hex.");
        // apicurio.registry.as-confluent with use-id=contentId: Confluent's
        // framing with the content id, which is the id of Apicurio's
        // Confluent-compatible API (/apis/ccompat/v7).
        for (long id : new long[] {7, 0x01020304L}) {
            byte[] b = serialize(schema, id, 1000 + id, Map.of(
                    SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true,
                    SerdeConfig.USE_ID, "contentId"));
            System.out.println("confluent\t" + id + "\t" + HEX.formatHex(b));
        }
        // Apicurio's default framing: magic byte 0, 8-byte global id.
        byte[] b = serialize(schema, 7, 1007, Map.of());
        System.out.println("apicurio-global-id\t1007\t" + HEX.formatHex(b));
    }
}
