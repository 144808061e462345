package org.carelake.core;

import java.io.IOException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The process that owns some work left on disk (an open transaction's journal, a model version being
 * staged), and how a later process tells whether that owner still runs. A pid alone is not enough:
 * pids are reused, so the owner's start time is recorded too.
 */
public record ProcessOwner(long pid, String started, String host) {

  private static final String THIS_HOST = lookUpHost();
  private static final ProcessOwner CURRENT = new ProcessOwner(ProcessHandle.current().pid(), startOf(ProcessHandle.current()).orElse(null),
      THIS_HOST);

  /** This process. */
  public static ProcessOwner current() {
    return CURRENT;
  }

  /** Whether this process, on this host, still runs: the pid alive and (pids are reused) started when recorded. */
  public boolean aliveOnThisHost() {
    return ProcessHandle.of(pid).filter(p -> started == null || startOf(p).map(started::equals).orElse(true)).isPresent();
  }

  public boolean onThisHost() {
    return host.equals(THIS_HOST);
  }

  /** The owner as JSON fields: {@code pid}, {@code process_started}, {@code host}. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("pid", pid);
    json.put("process_started", started);
    json.put("host", host);
    return json;
  }

  /** The owner {@link #toJson} wrote. */
  public static ProcessOwner fromJson(Map<?, ?> json) {
    return new ProcessOwner(((Number) json.get("pid")).longValue(), (String) json.get("process_started"), (String) json.get("host"));
  }

  private static Optional<String> startOf(ProcessHandle process) {
    return process.info().startInstant().map(i -> i.truncatedTo(ChronoUnit.SECONDS).toString());
  }

  private static String lookUpHost() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
