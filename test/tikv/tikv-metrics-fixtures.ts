/** TiKV `/metrics` bodies as its status port serves them (Prometheus text 0.0.4), trimmed to a representative mix. */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4';

/** A healthy TiKV holding 150 leaders: histograms with +Inf buckets, NaN, exponents, escaped label values. */
export const TIKV_METRICS_150_LEADERS = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.2345e+03
# HELP tikv_engine_size_bytes Sizes of each column families
# TYPE tikv_engine_size_bytes gauge
tikv_engine_size_bytes{db="kv",type="default"} 1.073741824e+09
tikv_engine_size_bytes{db="kv",type="write"} 5.36870912E8
# HELP tikv_grpc_msg_duration_seconds Bucketed histogram of grpc server messages
# TYPE tikv_grpc_msg_duration_seconds histogram
tikv_grpc_msg_duration_seconds_bucket{type="kv_get",le="0.0005"} 10
tikv_grpc_msg_duration_seconds_bucket{type="kv_get",le="+Inf"} 12
tikv_grpc_msg_duration_seconds_sum{type="kv_get"} 0.004
tikv_grpc_msg_duration_seconds_count{type="kv_get"} 12
# HELP tikv_raftstore_apply_log_duration_seconds_avg Average apply duration
# TYPE tikv_raftstore_apply_log_duration_seconds_avg gauge
tikv_raftstore_apply_log_duration_seconds_avg NaN
# HELP tikv_raftstore_region_count Number of regions collected in region_collector
# TYPE tikv_raftstore_region_count gauge
tikv_raftstore_region_count{type="buckets"} 0
tikv_raftstore_region_count{type="leader"} 150
tikv_raftstore_region_count{type="region"} 300
# HELP tikv_server_info Indicate the tikv server info, and the value is the start timestamp (s).
# TYPE tikv_server_info gauge
tikv_server_info{addr="0.0.0.0:20160",status_addr="0.0.0.0:20180",path="C:\\\\data \\"tikv\\"\\nx"} 1732000000
`;

/** A TiKV that has evicted every leader. */
export const TIKV_METRICS_NO_LEADERS = `# HELP tikv_raftstore_region_count Number of regions collected in region_collector
# TYPE tikv_raftstore_region_count gauge
tikv_raftstore_region_count{type="leader"} 0
tikv_raftstore_region_count{type="region"} 300
`;

/** A process that serves /metrics but is not a TiKV with a raftstore (e.g. still starting, or the wrong pod). */
export const NOT_TIKV_METRICS = `# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
process_open_fds 42
tikv_raftstore_region_count{type="region"} 300
`;
