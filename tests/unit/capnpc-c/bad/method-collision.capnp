@0xe2a7c4d9b1f30586;
# Log.stats and LogStats are both `method_collision_log_stats` in C.
interface Log {
  stats @0 () -> ();
}
struct LogStats {
  x @0 :Int32;
}
