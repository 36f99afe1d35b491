-- Roles and settings profiles for the platform's users. Applied on every run (not a numbered
-- migration): every statement converges to the state written here, so editing this file and
-- running the migrator again changes the grants. Users are created by the runner with the
-- passwords it is given (see sql/src/access.ts); they get one of these roles and profiles.

-- The ingester: writes raw ticks, trades, backfill gaps and its own operational tables, reads
-- only what it needs to resume after a restart (the last stored sequence per product) and to
-- store every trade once (the identities already in trades, the gaps still open). Materialized
-- views run with their definer's rights, so no grant on the rollups is needed.
CREATE ROLE IF NOT EXISTS streamstack_writer;
REVOKE ALL ON *.* FROM streamstack_writer;
-- Every column but ingested_at: the server stamps it, and the rollups' views split rows between
-- live updates and backfills by it, so a client must not be able to set it.
GRANT INSERT(sequence, trade_id, price, last_size, time, product_id, side, open_24h, volume_24h, low_24h,
             high_24h, volume_30d, best_bid, best_bid_size, best_ask, best_ask_size)
    ON coinbase_demo.coinbase_ticker TO streamstack_writer;
GRANT INSERT ON coinbase_demo.ingest_dead_letters TO streamstack_writer;
GRANT INSERT ON coinbase_demo.sequence_gaps TO streamstack_writer;
GRANT INSERT ON coinbase_demo.ingest_stats TO streamstack_writer;
GRANT SELECT(product_id, sequence, trade_id, time) ON coinbase_demo.coinbase_ticker TO streamstack_writer;
-- Trades: every column but ingested_at, for the same reason as above (it is also the version
-- ReplacingMergeTree keeps the newest copy by). The ingester reads trades to check each block's
-- identities (product_id, trade_id) before inserting, and backfill_gaps to resume open gaps.
GRANT INSERT(product_id, trade_id, time, price, size, side, maker_order_id, taker_order_id, sequence, source)
    ON coinbase_demo.trades TO streamstack_writer;
GRANT INSERT ON coinbase_demo.backfill_gaps TO streamstack_writer;
GRANT SELECT ON coinbase_demo.trades TO streamstack_writer;
GRANT SELECT ON coinbase_demo.backfill_gaps TO streamstack_writer;

-- Grafana and Superset: read the database (every table, the trades tables and rollups included), nothing else.
CREATE ROLE IF NOT EXISTS streamstack_reader;
REVOKE ALL ON *.* FROM streamstack_reader;
GRANT SELECT ON coinbase_demo.* TO streamstack_reader;

-- Profiles are changed in place: CREATE … IF NOT EXISTS makes a missing one (empty; no user is
-- bound to it yet), ALTER … SETTINGS then replaces its whole settings list with the one below
-- (a bare SETTINGS clause is the replacing form: clickhouse.com/docs/reference/statements/alter/
-- settings-profile). Not CREATE … OR REPLACE: that deletes the profile and inserts a new one
-- under a new id (ClickHouse src/Access/DiskAccessStorage.cpp, insertNoLock), and the users bound
-- to the old id would run without these limits until ALTER USER bound them again.

-- readonly = 2: no writes or DDL, but clients may still set per-query settings (Grafana and
-- Superset both send some). The limits keep one heavy dashboard from starving ingestion;
-- MAX stops a client from raising them.
CREATE SETTINGS PROFILE IF NOT EXISTS streamstack_reader_profile;
ALTER SETTINGS PROFILE streamstack_reader_profile SETTINGS
    readonly = 2,
    max_execution_time = 30 MAX 120,
    max_memory_usage = 2000000000 MAX 4000000000,
    max_result_rows = 1000000 MAX 10000000,
    result_overflow_mode = 'throw',
    max_rows_to_read = 2000000000 MAX 4000000000;

-- The writer batches on the client side, so async inserts stay off; deduplication stays on for
-- the raw table and the materialized views behind it, so a retried batch is stored once. Its
-- inserts and resume query take seconds; MAX stops the client from lifting the cap.
CREATE SETTINGS PROFILE IF NOT EXISTS streamstack_writer_profile;
ALTER SETTINGS PROFILE streamstack_writer_profile SETTINGS
    async_insert = 0,
    insert_deduplicate = 1,
    deduplicate_blocks_in_dependent_materialized_views = 1,
    max_execution_time = 60 MAX 300;
