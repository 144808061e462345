package org.carelake.pipelines.quality;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.StructType;
import org.carelake.core.CareLakeException;
import org.carelake.core.TableId;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * One table's check suite as declared in a YAML file under version control, validated before any
 * Spark job runs: every problem (unknown table, column, rule, severity or action; a malformed range)
 * is an error naming the file, the line and the fix.
 *
 * <pre>
 * table: silver.observation
 * checks:
 *   - name: keys and patient references
 *     severity: critical        # critical | major | minor: how bad, for the report
 *     action: fail              # fail (the step exits 1, nothing downstream advances) | warn
 *                               # | quarantine (failing rows move to bronze.quality_quarantine; needs key:)
 *     rules:
 *       - row_count: {min: 1}
 *       - complete: observation_key
 *       - unique: observation_key
 *       - patient_exists: patient_key
 *       - allowed_values: {column: status, values: [final, amended]}
 *       - range: {column: value_quantity, min: 0, max: 1000}
 *       - physiological_ranges: builtin
 *       - not_before_birth: effective_time
 * </pre>
 */
public record SuiteFile(String source, TableId table, String key, List<CheckSpec> checks, List<AnomalySpec> anomalies) {

  /** What happens when a check fails. */
  public enum Action { FAIL, WARN, QUARANTINE }

  /** Rules judged row by row: the only ones a {@code quarantine} check may hold. */
  public static final Set<String> ROW_LEVEL = Set.of("complete", "allowed_values", "range", "patient_exists", "not_before_birth",
      "not_after_death", "not_in_future");

  public static final Set<String> SEVERITIES = Set.of("critical", "major", "minor");

  /** A rule: its kind, its arguments and where it was declared. */
  public record Rule(String kind, Map<String, Object> args, int line) {
    public String column() {
      return (String) args.get("column");
    }
  }

  public record CheckSpec(String name, String severity, Action action, List<Rule> rules, int line) {}

  /**
   * A metric watched across runs with one of Deequ's anomaly detection strategies: {@code row_count},
   * {@code completeness} or {@code mean} of a column (optionally {@code where} a SQL filter holds),
   * judged by {@code relative_rate_of_change} (new / previous within [max_decrease, max_increase])
   * or {@code absolute_change} (new - previous within [-max_decrease, max_increase]).
   */
  public record AnomalySpec(String name, String severity, Action action, String metric, String column, String where, String strategy,
      Double maxDecrease, Double maxIncrease, int line) {}

  static final Set<String> METRICS = Set.of("row_count", "completeness", "mean");
  static final Set<String> STRATEGIES = Set.of("relative_rate_of_change", "absolute_change");

  /** Rule kinds and the arguments each takes ({@code column} may be given as the rule's scalar value). */
  static final Map<String, Set<String>> RULES = Map.ofEntries(
      Map.entry("row_count", Set.of("min", "max")),
      Map.entry("complete", Set.of("column")),
      Map.entry("complete_per_group", Set.of("column", "group", "values", "min")),
      Map.entry("unique", Set.of("column")),
      Map.entry("patient_exists", Set.of("column")),
      Map.entry("allowed_values", Set.of("column", "values")),
      Map.entry("range", Set.of("column", "min", "max", "where")),
      Map.entry("physiological_ranges", Set.of("column")),
      Map.entry("expected_units", Set.of("column")),
      Map.entry("not_before_birth", Set.of("column")),
      Map.entry("not_after_death", Set.of("column")),
      Map.entry("not_in_future", Set.of("column")),
      Map.entry("freshness", Set.of("column", "max_age_days")));

  /** Reads and validates a suite; {@code schemas} are the tables suites may name, with their columns. */
  public static SuiteFile read(Reader reader, String source, Map<TableId, StructType> schemas) {
    Node root;
    try {
      root = new Yaml().compose(reader);
    } catch (YAMLException e) {
      throw CareLakeException.badInput("Check suite " + source + " is not valid YAML: " + e.getMessage().split("\n")[0] + ".",
          "fix the YAML syntax (indentation, colons, lists with '-').");
    }
    if (!(root instanceof MappingNode top)) {
      throw bad(source, root == null ? 1 : line(root), "is not a mapping with 'table' and 'checks'", "start the file with 'table: <layer.name>'.");
    }
    Map<String, Node> fields = fields(top, source, Set.of("table", "key", "checks", "anomalies"));
    Node tableNode = require(fields, "table", source, top);
    String tableName = scalar(tableNode, source, "table");
    TableId table = schemas.keySet().stream().filter(t -> t.qualifiedName().equals(tableName)).findFirst()
        .orElseThrow(() -> bad(source, line(tableNode), "names table '" + tableName + "', which has no known schema",
            "use one of " + schemas.keySet().stream().map(TableId::qualifiedName).sorted().toList() + "."));
    StructType schema = schemas.get(table);
    Node checksNode = require(fields, "checks", source, top);
    if (!(checksNode instanceof SequenceNode list) || list.getValue().isEmpty()) {
      throw bad(source, line(checksNode), "'checks' must be a non-empty list", "write each check as '- name: ...'.");
    }
    List<CheckSpec> checks = new ArrayList<>();
    for (Node c : list.getValue()) {
      if (!(c instanceof MappingNode check)) {
        throw bad(source, line(c), "a check must be a mapping with name, severity, action and rules", "see the other suites for the shape.");
      }
      Map<String, Node> f = fields(check, source, Set.of("name", "severity", "action", "rules"));
      String name = scalar(require(f, "name", source, check), source, "name");
      String severity = severity(f, source, check);
      Action action = action(f, source, check, true);
      Node rulesNode = require(f, "rules", source, check);
      if (!(rulesNode instanceof SequenceNode rules) || rules.getValue().isEmpty()) {
        throw bad(source, line(rulesNode), "'rules' must be a non-empty list", "write each rule as '- complete: <column>'.");
      }
      List<Rule> parsed = new ArrayList<>();
      for (Node r : rules.getValue()) {
        parsed.add(rule(r, source, schema, table));
      }
      if (action == Action.QUARANTINE) {
        for (Rule r : parsed) {
          if (!ROW_LEVEL.contains(r.kind())) {
            throw bad(source, r.line(), "'" + r.kind() + "' is judged on the whole table, so its rows cannot be quarantined",
                "move it to a check with action fail or warn; quarantine takes " + ROW_LEVEL.stream().sorted().toList() + ".");
          }
        }
      }
      checks.add(new CheckSpec(name, severity, action, parsed, line(check)));
    }
    String key = fields.containsKey("key") ? scalar(fields.get("key"), source, "key") : null;
    if (key != null && !List.of(schema.fieldNames()).contains(key)) {
      throw bad(source, line(fields.get("key")), "key column '" + key + "' is not in " + table, "name the table's key column.");
    }
    if (key == null && checks.stream().anyMatch(c -> c.action() == Action.QUARANTINE)) {
      throw bad(source, line(top), "a check with action quarantine needs the table's key", "add 'key: <key column>' at the top.");
    }
    List<AnomalySpec> anomalies = new ArrayList<>();
    Node anomaliesNode = fields.get("anomalies");
    if (anomaliesNode != null) {
      if (!(anomaliesNode instanceof SequenceNode alist)) {
        throw bad(source, line(anomaliesNode), "'anomalies' must be a list", "write each as '- name: ...'.");
      }
      for (Node a : alist.getValue()) {
        anomalies.add(anomaly(a, source, schema, table));
      }
    }
    return new SuiteFile(source, table, key, checks, anomalies);
  }

  private static AnomalySpec anomaly(Node node, String source, StructType schema, TableId table) {
    if (!(node instanceof MappingNode m)) {
      throw bad(source, line(node), "an anomaly rule must be a mapping", "give name, severity, action, metric, strategy and bounds.");
    }
    Map<String, Node> f = fields(m, source, Set.of("name", "severity", "action", "metric", "column", "where", "strategy", "max_decrease",
        "max_increase"));
    String name = scalar(require(f, "name", source, m), source, "name");
    String severity = severity(f, source, m);
    Action action = action(f, source, m, false);
    Node metricNode = require(f, "metric", source, m);
    String metric = scalar(metricNode, source, "metric");
    if (!METRICS.contains(metric)) {
      throw bad(source, line(metricNode), "metric '" + metric + "' is unknown", "use one of " + METRICS.stream().sorted().toList() + ".");
    }
    String column = f.containsKey("column") ? scalar(f.get("column"), source, "column") : null;
    if (!metric.equals("row_count") && column == null) {
      throw bad(source, line(metricNode), metric + " needs a column", "add 'column: <name>'.");
    }
    if (column != null && !List.of(schema.fieldNames()).contains(column)) {
      throw bad(source, line(f.get("column")), "column '" + column + "' is not in " + table, "its columns are " + List.of(schema.fieldNames()) + ".");
    }
    Node strategyNode = require(f, "strategy", source, m);
    String strategy = scalar(strategyNode, source, "strategy");
    if (!STRATEGIES.contains(strategy)) {
      throw bad(source, line(strategyNode), "strategy '" + strategy + "' is unknown", "use relative_rate_of_change or absolute_change.");
    }
    Double down = f.containsKey("max_decrease") ? number(f.get("max_decrease"), source, "max_decrease") : null;
    Double up = f.containsKey("max_increase") ? number(f.get("max_increase"), source, "max_increase") : null;
    if (down == null && up == null) {
      throw bad(source, line(m), "an anomaly rule needs max_decrease, max_increase or both", "e.g. max_decrease: 0.5.");
    }
    if ((down != null && down < 0) || (up != null && up < 0)) {
      throw bad(source, line(m), "max_decrease and max_increase are sizes of change, not signed", "write them as positive numbers.");
    }
    String where = f.containsKey("where") ? scalar(f.get("where"), source, "where") : null;
    return new AnomalySpec(name, severity, action, metric, column, where, strategy, down, up, line(m));
  }

  private static String severity(Map<String, Node> fields, String source, Node parent) {
    Node node = require(fields, "severity", source, parent);
    String severity = scalar(node, source, "severity").toLowerCase(Locale.ROOT);
    if (!SEVERITIES.contains(severity)) {
      throw bad(source, line(node), "severity '" + severity + "' is unknown", "use critical, major or minor.");
    }
    return severity;
  }

  /** fail, warn, and (for checks, not anomalies) quarantine. */
  private static Action action(Map<String, Node> fields, String source, Node parent, boolean rows) {
    Node node = require(fields, "action", source, parent);
    String text = scalar(node, source, "action").toLowerCase(Locale.ROOT);
    return switch (text) {
      case "fail" -> Action.FAIL;
      case "warn" -> Action.WARN;
      case "quarantine" -> {
        if (!rows) {
          throw bad(source, line(node), "an anomaly is about the whole table, so it cannot quarantine rows", "use fail or warn.");
        }
        yield Action.QUARANTINE;
      }
      default -> throw bad(source, line(node), "action '" + text + "' is unknown", rows ? "use fail, warn or quarantine." : "use fail or warn.");
    };
  }

  private static double number(Node node, String source, String what) {
    String v = scalar(node, source, what);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw bad(source, line(node), what + " '" + v + "' is not a number", "write a plain number.");
    }
  }

  private static Rule rule(Node node, String source, StructType schema, TableId table) {
    if (!(node instanceof MappingNode m) || m.getValue().size() != 1) {
      throw bad(source, line(node), "a rule is one 'kind: argument' pair", "e.g. '- complete: patient_key' or '- range: {column: x, min: 0, max: 1}'.");
    }
    NodeTuple t = m.getValue().get(0);
    String kind = scalar(t.getKeyNode(), source, "rule");
    Set<String> allowed = RULES.get(kind);
    if (allowed == null) {
      throw bad(source, line(t.getKeyNode()), "unknown check '" + kind + "'", "use one of " + RULES.keySet().stream().sorted().toList() + ".");
    }
    Map<String, Object> args = new LinkedHashMap<>();
    Node value = t.getValueNode();
    if (value instanceof ScalarNode s) {
      if (!s.getValue().equals("builtin")) {
        args.put("column", s.getValue());
      }
    } else if (value instanceof MappingNode argsNode) {
      for (NodeTuple a : argsNode.getValue()) {
        String key = scalar(a.getKeyNode(), source, "argument");
        if (!allowed.contains(key)) {
          throw bad(source, line(a.getKeyNode()), kind + " takes no argument '" + key + "'", "its arguments are " + allowed.stream().sorted().toList() + ".");
        }
        if (a.getValueNode() instanceof SequenceNode values) {
          List<String> items = new ArrayList<>();
          values.getValue().forEach(v -> items.add(scalar(v, source, key)));
          args.put(key, items);
        } else {
          args.put(key, scalar(a.getValueNode(), source, key));
        }
      }
    } else {
      throw bad(source, line(value), kind + " needs a column name or a mapping of arguments", "e.g. '- " + kind + ": patient_key'.");
    }
    int line = line(node);
    String column = (String) args.get("column");
    boolean needsColumn = !kind.equals("row_count") && !kind.equals("physiological_ranges") && !kind.equals("expected_units");
    if (needsColumn && column == null) {
      throw bad(source, line, kind + " needs a column", "name one of " + table + "'s columns.");
    }
    if (column != null && !List.of(schema.fieldNames()).contains(column)) {
      throw bad(source, line, "column '" + column + "' is not in " + table, "its columns are " + List.of(schema.fieldNames()) + ".");
    }
    for (String bound : List.of("min", "max", "max_age_days")) {
      Object v = args.get(bound);
      if (v != null) {
        try {
          args.put(bound, Double.parseDouble((String) v));
        } catch (NumberFormatException e) {
          throw bad(source, line, kind + " " + bound + " '" + v + "' is not a number", "write a plain number, e.g. " + bound + ": 250.");
        }
      }
    }
    if (args.get("min") instanceof Double min && args.get("max") instanceof Double max && min > max) {
      throw bad(source, line, kind + " has min " + min + " above max " + max, "swap them or fix the bound.");
    }
    if (kind.equals("range") && args.get("min") == null && args.get("max") == null) {
      throw bad(source, line, "range needs min, max or both", "e.g. '- range: {column: " + column + ", min: 0, max: 250}'.");
    }
    if (kind.equals("allowed_values") && !(args.get("values") instanceof List<?> l && !l.isEmpty())) {
      throw bad(source, line, "allowed_values needs a non-empty list of values", "e.g. values: [male, female, other, unknown].");
    }
    if (kind.equals("complete_per_group")) {
      Object group = args.get("group");
      if (!(group instanceof String g) || !List.of(schema.fieldNames()).contains(g)) {
        throw bad(source, line, "complete_per_group needs a group column of " + table, "e.g. group: sex (its columns are "
            + List.of(schema.fieldNames()) + ").");
      }
      if (!(args.get("values") instanceof List<?> l && !l.isEmpty())) {
        throw bad(source, line, "complete_per_group needs the group values to check", "e.g. values: [female, male].");
      }
    }
    if (kind.equals("freshness") && args.get("max_age_days") == null) {
      throw bad(source, line, "freshness needs max_age_days", "e.g. '- freshness: {column: " + column + ", max_age_days: 30}'.");
    }
    return new Rule(kind, args, line);
  }

  private static Map<String, Node> fields(MappingNode node, String source, Set<String> allowed) {
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : node.getValue()) {
      String key = scalar(t.getKeyNode(), source, "key");
      if (!allowed.contains(key)) {
        throw bad(source, line(t.getKeyNode()), "unknown key '" + key + "'", "the keys here are " + allowed.stream().sorted().toList() + ".");
      }
      out.put(key, t.getValueNode());
    }
    return out;
  }

  private static Node require(Map<String, Node> fields, String key, String source, Node parent) {
    Node n = fields.get(key);
    if (n == null) {
      throw bad(source, line(parent), "'" + key + "' is missing", "add '" + key + ": ...'.");
    }
    return n;
  }

  private static String scalar(Node node, String source, String what) {
    if (!(node instanceof ScalarNode s) || s.getValue().isBlank()) {
      throw bad(source, line(node), what + " must be a single value", "write it on one line, e.g. '" + what + ": value'.");
    }
    return s.getValue().trim();
  }

  private static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  private static CareLakeException bad(String source, int line, String problem, String fix) {
    return CareLakeException.badInput("Check suite " + source + " line " + line + ": " + problem + ".", fix);
  }

  /** Reads a suite from a file. */
  public static SuiteFile read(java.nio.file.Path file, Map<TableId, StructType> schemas) {
    try (Reader r = java.nio.file.Files.newBufferedReader(file)) {
      return read(r, file.toString(), schemas);
    } catch (IOException e) {
      throw CareLakeException.badInput("Cannot read check suite " + file + ": " + CareLakeException.reason(e) + ".", "check the path.");
    }
  }
}
