/**
 * PD answers byte for byte as pd-api.md describes them (2-space JSON with a trailing newline, JSON-string messages,
 * omitted zero enums, uint64s beyond 2^53, Go's text 404), one per version difference the client must absorb.
 * Kept as raw text: JSON.stringify could not write the big integers.
 */

export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** pd-api.md's StoreInfo, v8.5: an Up store has no `state` key; node_state Serving; last_heartbeat beyond 2^53. */
export const STORE_V85_UP = `{
  "store": {
    "id": 1,
    "address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
    "labels": [
      {
        "key": "zone",
        "value": "z1"
      }
    ],
    "version": "8.5.0",
    "peer_address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
    "status_address": "basic-tikv-0.basic-tikv-peer.ns.svc:20180",
    "git_hash": "f8d0b1e6a7c3",
    "start_timestamp": 1732000000,
    "deploy_path": "/",
    "last_heartbeat": 1732000123456789000,
    "node_state": 1,
    "state_name": "Up"
  },
  "status": {
    "capacity": "1.819TiB",
    "available": "1.2TiB",
    "used_size": "300GiB",
    "leader_count": 150,
    "leader_weight": 1,
    "leader_score": 150,
    "leader_size": 15000,
    "region_count": 300,
    "region_weight": 1,
    "region_score": 30000,
    "region_size": 30000,
    "start_ts": "2026-11-20T10:00:00Z",
    "last_heartbeat_ts": "2026-11-20T10:02:03.456Z",
    "uptime": "2m3.456s"
  }
}
`;

/** Right after a restart: new start_timestamp, no `uptime`, no leaders yet (leader_count omitted), busy and slow. */
export const STORE_V85_RESTARTED = `{
  "store": {
    "id": 4,
    "address": "basic-tikv-3.basic-tikv-peer.ns.svc:20160",
    "version": "8.5.1",
    "peer_address": "basic-tikv-3.basic-tikv-peer.ns.svc:20160",
    "status_address": "basic-tikv-3.basic-tikv-peer.ns.svc:20180",
    "git_hash": "aa11bb22",
    "start_timestamp": 1732000600,
    "deploy_path": "/",
    "last_heartbeat": 1732000610000000000,
    "node_state": 1,
    "state_name": "Up"
  },
  "status": {
    "capacity": "500GiB",
    "available": "499GiB",
    "used_size": "0B",
    "leader_weight": 1,
    "region_count": 280,
    "region_weight": 1,
    "region_score": 28000,
    "region_size": 28000,
    "learner_count": 2,
    "pending_peer_count": 7,
    "slow_score": 80,
    "is_busy": true,
    "sending_snap_count": 1,
    "receiving_snap_count": 3,
    "start_ts": "2026-11-20T10:10:00Z",
    "last_heartbeat_ts": "2026-11-20T10:10:10Z",
    "pause_leader_transfer_in": true
  }
}
`;

/** Nanoseconds whose millisecond JSON.parse would round up: 1732000123456.999999 ms must read as …456. */
export const STORE_HEARTBEAT_AT_MS_EDGE = `{
  "store": {
    "id": 9,
    "address": "basic-tikv-8.basic-tikv-peer.ns.svc:20160",
    "version": "8.5.0",
    "status_address": "basic-tikv-8.basic-tikv-peer.ns.svc:20180",
    "start_timestamp": 1732000000,
    "last_heartbeat": 1732000123456999999,
    "node_state": 1,
    "state_name": "Up"
  },
  "status": {
    "leader_count": 1,
    "region_count": 1
  }
}
`;

/** A v8.5 `/stores?state=0&state=1&state=2` answer: Up, Disconnected, Down, Offline (state 1, Removing), Tombstone (state 2, Removed). */
export const STORES_V85_ALL_STATES = `{
  "count": 5,
  "stores": [
    {
      "store": {
        "id": 1,
        "address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
        "version": "8.5.0",
        "status_address": "basic-tikv-0.basic-tikv-peer.ns.svc:20180",
        "start_timestamp": 1732000000,
        "last_heartbeat": 1732000123456789000,
        "node_state": 1,
        "state_name": "Up"
      },
      "status": {
        "capacity": "1.819TiB",
        "available": "1.2TiB",
        "used_size": "300GiB",
        "leader_count": 150,
        "leader_weight": 1,
        "region_count": 300,
        "region_weight": 1,
        "start_ts": "2026-11-20T10:00:00Z",
        "last_heartbeat_ts": "2026-11-20T10:02:03.456Z",
        "uptime": "2m3.456s"
      }
    },
    {
      "store": {
        "id": 2,
        "address": "basic-tikv-1.basic-tikv-peer.ns.svc:20160",
        "version": "8.5.0",
        "status_address": "basic-tikv-1.basic-tikv-peer.ns.svc:20180",
        "start_timestamp": 1732000001,
        "last_heartbeat": 1732000090000000000,
        "node_state": 1,
        "state_name": "Disconnected"
      },
      "status": {
        "leader_count": 140,
        "region_count": 300,
        "uptime": "1m30s"
      }
    },
    {
      "store": {
        "id": 3,
        "address": "basic-tikv-2.basic-tikv-peer.ns.svc:20160",
        "version": "8.5.0",
        "status_address": "basic-tikv-2.basic-tikv-peer.ns.svc:20180",
        "start_timestamp": 1731990000,
        "last_heartbeat": 1731991000000000000,
        "node_state": 1,
        "state_name": "Down"
      },
      "status": {
        "region_count": 300
      }
    },
    {
      "store": {
        "id": 5,
        "address": "basic-tikv-4.basic-tikv-peer.ns.svc:20160",
        "state": 1,
        "version": "8.5.0",
        "status_address": "basic-tikv-4.basic-tikv-peer.ns.svc:20180",
        "start_timestamp": 1732000002,
        "last_heartbeat": 1732000120000000000,
        "node_state": 2,
        "state_name": "Offline"
      },
      "status": {
        "leader_count": 3,
        "region_count": 40
      }
    },
    {
      "store": {
        "id": 6,
        "address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
        "state": 2,
        "version": "8.1.0",
        "status_address": "basic-tikv-0.basic-tikv-peer.ns.svc:20180",
        "start_timestamp": 1731000000,
        "last_heartbeat": 1731000500000000000,
        "node_state": 3,
        "state_name": "Tombstone"
      },
      "status": {}
    }
  ]
}
`;

/** PD v5.4 StoreInfo: no node_state, no status on a store that never heartbeated (zero heartbeat time). */
export const STORES_V54 = `{
  "count": 2,
  "stores": [
    {
      "store": {
        "id": 1,
        "address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
        "version": "5.4.3",
        "status_address": "basic-tikv-0.basic-tikv-peer.ns.svc:20180",
        "git_hash": "deadbeef",
        "start_timestamp": 1732000000,
        "deploy_path": "/",
        "last_heartbeat": 1732000123456789000,
        "state_name": "Up"
      },
      "status": {
        "capacity": "100GiB",
        "available": "90GiB",
        "used_size": "10GiB",
        "leader_count": 10,
        "leader_weight": 1,
        "leader_score": 10,
        "leader_size": 1000,
        "region_count": 30,
        "region_weight": 1,
        "region_score": 3000,
        "region_size": 3000,
        "start_ts": "2026-11-20T10:00:00Z",
        "last_heartbeat_ts": "2026-11-20T10:02:03.456Z",
        "uptime": "2m3.456s"
      }
    },
    {
      "store": {
        "id": 7,
        "address": "basic-tikv-1.basic-tikv-peer.ns.svc:20160",
        "version": "5.4.3",
        "state_name": "Up"
      },
      "status": {
        "start_ts": "1970-01-01T00:00:00Z",
        "last_heartbeat_ts": "0001-01-01T00:00:00Z"
      }
    }
  ]
}
`;

/** A v8.5 cluster where a brand-new store is Preparing (node_state 0 omitted) next to Serving ones. */
export const STORES_V85_PREPARING = `{
  "count": 2,
  "stores": [
    {
      "store": {
        "id": 1,
        "address": "basic-tikv-0.basic-tikv-peer.ns.svc:20160",
        "version": "8.5.0",
        "start_timestamp": 1732000000,
        "last_heartbeat": 1732000123456789000,
        "node_state": 1,
        "state_name": "Up"
      },
      "status": {
        "leader_count": 5,
        "region_count": 10
      }
    },
    {
      "store": {
        "id": 8,
        "address": "basic-tikv-7.basic-tikv-peer.ns.svc:20160",
        "version": "8.5.0",
        "start_timestamp": 1732000500,
        "last_heartbeat": 1732000510000000000,
        "state_name": "Up"
      },
      "status": {
        "region_count": 1
      }
    }
  ]
}
`;

/** Go's nil slice: no stores to show. */
export const STORES_EMPTY = `{
  "count": 0,
  "stores": null
}
`;

export const STORE_NOT_FOUND_99 = `"[PD:core:ErrStoreNotFound]store 99 not found"
`;

/** v7.5 writes the error message twice (the handler and its caller both render it). */
export const STORE_NOT_FOUND_99_V75 = `"[PD:core:ErrStoreNotFound]store 99 not found"
"[PD:core:ErrStoreNotFound]store 99 not found"
`;

/** v6/v7.5's handler forgets to return after the error: its success message follows in the same body. */
export const STORE_NOT_FOUND_99_THEN_CREATED = `"[PD:core:ErrStoreNotFound]store 99 not found"
"The scheduler is created."
`;

export const PAUSE_LEADER_TRANSFER_3 = `"[PD:core:ErrPauseLeaderTransfer]store 3 is paused for leader transfer"
`;

export const NOT_BOOTSTRAPPED = `"TiKV cluster not bootstrapped, please start TiKV first"
`;

export const NO_LEADER = `"[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader"
`;

export const GO_TEXT_404 = '404 page not found\n';

export const SCHEDULER_CREATED = `"The scheduler is created."
`;
export const SCHEDULER_APPLIED = `"The scheduler has been applied to the store."
`;
export const SCHEDULER_REMOVED_V5 = `"The scheduler is removed."
`;
export const JSON_NULL = 'null\n';

/** v8.5 defaults plus our evict-leader scheduler, unordered as PD gives them. */
export const SCHEDULERS_V855 = `[
  "balance-hot-region-scheduler",
  "evict-leader-scheduler",
  "balance-leader-scheduler",
  "evict-slow-store-scheduler",
  "balance-region-scheduler",
  "evict-stopping-store-scheduler"
]
`;

/** v8.5 defaults only. */
export const SCHEDULERS_V85_DEFAULTS = `[
  "balance-leader-scheduler",
  "balance-region-scheduler",
  "balance-hot-region-scheduler",
  "evict-slow-store-scheduler"
]
`;

/** PD ≤ v3.0: one scheduler per evicted store. */
export const SCHEDULERS_V30_LEGACY = `[
  "balance-region-scheduler",
  "evict-leader-scheduler-4",
  "balance-leader-scheduler",
  "evict-leader-scheduler-1",
  "balance-hot-region-scheduler",
  "label-scheduler"
]
`;

/** v8.3+ list with `batch`. */
export const EVICT_LIST_V83 = `{
  "store-id-ranges": {
    "12": [
      {
        "start-key": "",
        "end-key": ""
      }
    ],
    "3": [
      {
        "start-key": "",
        "end-key": ""
      }
    ]
  },
  "batch": 3
}
`;

/** Before v8.3: no `batch`. */
export const EVICT_LIST_V75 = `{
  "store-id-ranges": {
    "2": [
      {
        "start-key": "",
        "end-key": ""
      }
    ]
  }
}
`;

/** `/members` with uint64 ids beyond 2^53. */
export const MEMBERS_V85 = `{
  "header": {
    "cluster_id": 7321654987123456789
  },
  "members": [
    {
      "name": "basic-pd-0",
      "member_id": 13261822446467651241,
      "peer_urls": [
        "http://basic-pd-0.basic-pd-peer.ns.svc:2380"
      ],
      "client_urls": [
        "http://basic-pd-0.basic-pd-peer.ns.svc:2379"
      ],
      "deploy_path": "/",
      "binary_version": "v8.5.0",
      "git_hash": "0123abcd"
    },
    {
      "name": "basic-pd-1",
      "member_id": 4811392741650371537,
      "peer_urls": [
        "http://basic-pd-1.basic-pd-peer.ns.svc:2380"
      ],
      "client_urls": [
        "http://basic-pd-1.basic-pd-peer.ns.svc:2379"
      ],
      "leader_priority": 1,
      "deploy_path": "/",
      "binary_version": "v8.5.0",
      "git_hash": "0123abcd"
    }
  ],
  "leader": {
    "name": "basic-pd-1",
    "member_id": 4811392741650371537,
    "peer_urls": [
      "http://basic-pd-1.basic-pd-peer.ns.svc:2380"
    ],
    "client_urls": [
      "http://basic-pd-1.basic-pd-peer.ns.svc:2379"
    ],
    "leader_priority": 1,
    "deploy_path": "/",
    "binary_version": "v8.5.0",
    "git_hash": "0123abcd"
  },
  "etcd_leader": {
    "name": "basic-pd-1",
    "member_id": 4811392741650371537,
    "peer_urls": [
      "http://basic-pd-1.basic-pd-peer.ns.svc:2380"
    ],
    "client_urls": [
      "http://basic-pd-1.basic-pd-peer.ns.svc:2379"
    ]
  }
}
`;

/** `/members` while there is no PD leader: `leader` omitted. */
export const MEMBERS_NO_LEADER = `{
  "header": {
    "cluster_id": 7321654987123456789
  },
  "members": [
    {
      "name": "basic-pd-0",
      "member_id": 13261822446467651241,
      "client_urls": [
        "http://basic-pd-0.basic-pd-peer.ns.svc:2379"
      ]
    }
  ]
}
`;

export const HEALTH_V85 = `[
  {
    "name": "basic-pd-0",
    "member_id": 13261822446467651241,
    "client_urls": [
      "http://basic-pd-0.basic-pd-peer.ns.svc:2379"
    ],
    "health": true
  },
  {
    "name": "basic-pd-1",
    "member_id": 4811392741650371537,
    "client_urls": [
      "http://basic-pd-1.basic-pd-peer.ns.svc:2379"
    ],
    "health": false
  }
]
`;

export const VERSION_V85 = `{
  "version": "v8.5.0",
  "build_time": "",
  "hash": "",
  "branch": ""
}
`;

/** `/config/replicate`: booleans are strings. */
export const REPLICATE_V85 = `{
  "max-replicas": 3,
  "location-labels": "zone,host",
  "strictly-match-label": "false",
  "enable-placement-rules": "true",
  "enable-placement-rules-cache": "false",
  "isolation-level": ""
}
`;

export const REPLICATE_NO_LABELS = `{
  "max-replicas": 1,
  "location-labels": "",
  "strictly-match-label": "false",
  "enable-placement-rules": "false",
  "isolation-level": ""
}
`;

export const SCHEDULE_V85 = `{
  "max-snapshot-count": 64,
  "max-pending-peer-count": 64,
  "max-merge-region-size": 54,
  "max-merge-region-keys": 540000,
  "split-merge-interval": "1h0m0s",
  "patrol-region-interval": "10ms",
  "max-store-down-time": "30m0s",
  "max-store-preparing-time": "48h0m0s",
  "leader-schedule-limit": 4,
  "leader-schedule-policy": "count",
  "region-schedule-limit": 2048,
  "replica-schedule-limit": 64,
  "merge-schedule-limit": 8,
  "hot-region-schedule-limit": 4,
  "enable-remove-down-replica": "true",
  "enable-replace-offline-replica": "true"
}
`;

/** `/regions/check/down-peer`: not indented; a region with a down peer on store 3 and a pending peer on store 2. */
export const DOWN_PEER_REGIONS =
  '{"count":2,"regions":[' +
  '{"id":1001,"start_key":"7480000000000000FF","end_key":"7480000000000000FF5F","epoch":{"conf_ver":5,"version":12},' +
  '"peers":[{"id":1002,"store_id":1,"role_name":"Voter"},{"id":1003,"store_id":2,"role_name":"Voter"},{"id":1004,"store_id":3,"role_name":"Voter"}],' +
  '"leader":{"id":1002,"store_id":1,"role_name":"Voter"},' +
  '"down_peers":[{"peer":{"id":1004,"store_id":3,"role_name":"Voter"},"down_seconds":1860}],' +
  '"pending_peers":[{"id":1003,"store_id":2,"role_name":"Voter"}],' +
  '"cpu_usage":0,"written_bytes":0,"read_bytes":0,"written_keys":0,"read_keys":0,"approximate_size":96,"approximate_keys":960000},' +
  '{"id":2001,"start_key":"","end_key":"","epoch":{"conf_ver":3,"version":1},' +
  '"peers":[{"id":2002,"store_id":3,"role_name":"Voter"},{"id":2003,"store_id":2,"role_name":"Voter"},{"id":2004,"store_id":1,"role_name":"Learner","is_learner":true}],' +
  '"down_peers":[{"peer":{"id":2002,"store_id":3,"role_name":"Voter"},"down_seconds":1860}],' +
  '"cpu_usage":0,"written_bytes":0,"read_bytes":0,"written_keys":0,"read_keys":0,"approximate_size":1,"approximate_keys":0}' +
  ']}\n';

export const NO_REGIONS = '{"count":0,"regions":[]}\n';

export const CLUSTER_STATUS = `{
  "raft_bootstrap_time": "2026-11-20T09:59:00Z",
  "is_initialized": true,
  "replication_status": "{\\"state\\":\\"\\"}"
}
`;
