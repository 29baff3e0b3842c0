"""Numbered schema migrations. Append new ones; never edit or renumber applied ones.

Numbers reserved: 3 jobs, 4 shopify, 5 twelvelabs, 6 veo (they are applied in number order).

The whole product's schema is created here up front so that stages built in parallel
(sync, analysis, timeline, render, reels, shopify) do not fight over it.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE TABLE events (
            id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            event_type VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'created',
            music_metadata JSON,
            meta JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE videos (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL REFERENCES events(id),
            angle_type VARCHAR NOT NULL,
            object_key VARCHAR NOT NULL,
            original_name VARCHAR,
            content_hash VARCHAR NOT NULL,
            size_bytes BIGINT,
            duration_s DOUBLE,
            probe JSON,
            status VARCHAR NOT NULL DEFAULT 'uploading',
            sync_offset_s DOUBLE,
            sync_drift_ppm DOUBLE,
            sync_confidence DOUBLE,
            sync_method VARCHAR,
            sync_status VARCHAR,
            sync_reason VARCHAR,
            is_reference BOOLEAN DEFAULT false,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            UNIQUE (event_id, content_hash)
        );
        CREATE TABLE sync_details (
            event_id VARCHAR NOT NULL,
            video_id VARCHAR NOT NULL,
            reference_video_id VARCHAR,
            detail JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (event_id, video_id)
        );
        CREATE TABLE music (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL REFERENCES events(id),
            object_key VARCHAR NOT NULL,
            original_name VARCHAR,
            content_hash VARCHAR NOT NULL,
            size_bytes BIGINT,
            duration_s DOUBLE,
            probe JSON,
            tempo_bpm DOUBLE,
            beats JSON,
            downbeats JSON,
            intensity JSON,
            analysis JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            UNIQUE (event_id, content_hash)
        );
        CREATE TABLE features (
            video_id VARCHAR NOT NULL,
            t_ms BIGINT NOT NULL,
            action_intensity DOUBLE NOT NULL,
            scene_cut BOOLEAN NOT NULL,
            scene_type VARCHAR NOT NULL,
            faces INTEGER NOT NULL,
            speech DOUBLE NOT NULL,
            crowd_energy DOUBLE NOT NULL,
            audio_events VARCHAR[] NOT NULL,
            visual_complexity DOUBLE NOT NULL,
            key_moment BOOLEAN NOT NULL,
            description VARCHAR NOT NULL DEFAULT '',
            PRIMARY KEY (video_id, t_ms)
        );
        CREATE TABLE feature_runs (
            video_id VARCHAR PRIMARY KEY,
            backend VARCHAR NOT NULL,
            cache_key VARCHAR NOT NULL,
            window_ms INTEGER NOT NULL,
            detail JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE profiles (
            id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            event_type VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            body JSON NOT NULL,
            parent_id VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            UNIQUE (name, version)
        );
        CREATE TABLE timelines (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL REFERENCES events(id),
            profile_id VARCHAR,
            strategy VARCHAR NOT NULL,
            inputs_hash VARCHAR NOT NULL,
            beat_synced BOOLEAN NOT NULL DEFAULT false,
            duration_ms BIGINT NOT NULL,
            meta JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE timeline_segments (
            timeline_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            start_ms BIGINT NOT NULL,
            end_ms BIGINT NOT NULL,
            video_id VARCHAR NOT NULL,
            angle_type VARCHAR,
            score DOUBLE,
            PRIMARY KEY (timeline_id, idx)
        );
        CREATE TABLE timeline_zooms (
            timeline_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            start_ms BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            zoom_factor DOUBLE NOT NULL,
            video_id VARCHAR,
            PRIMARY KEY (timeline_id, idx)
        );
        CREATE TABLE timeline_ad_slots (
            timeline_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            timestamp_ms BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            score DOUBLE NOT NULL,
            PRIMARY KEY (timeline_id, idx)
        );
        CREATE TABLE timeline_chapters (
            timeline_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            timestamp_ms BIGINT NOT NULL,
            title VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            PRIMARY KEY (timeline_id, idx)
        );
        CREATE TABLE shopify_stores (
            id VARCHAR PRIMARY KEY,
            shop_domain VARCHAR NOT NULL UNIQUE,
            access_token_enc BLOB,
            scopes VARCHAR,
            installed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE products (
            id VARCHAR PRIMARY KEY,
            store_id VARCHAR,
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            handle VARCHAR,
            title VARCHAR NOT NULL,
            description VARCHAR,
            vendor VARCHAR,
            price DOUBLE,
            currency VARCHAR,
            image_key VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            UNIQUE (source, external_id)
        );
        CREATE TABLE event_products (
            event_id VARCHAR NOT NULL,
            product_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (event_id, product_id)
        );
        CREATE TABLE ads (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL,
            timeline_id VARCHAR,
            slot_idx INTEGER,
            product_id VARCHAR,
            backend VARCHAR NOT NULL,
            object_key VARCHAR,
            prompt VARCHAR,
            duration_ms BIGINT,
            status VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE renders (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL,
            timeline_id VARCHAR,
            kind VARCHAR NOT NULL,
            object_key VARCHAR,
            status VARCHAR NOT NULL,
            duration_s DOUBLE,
            meta JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE reels (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL,
            query VARCHAR,
            vibe VARCHAR NOT NULL,
            duration_s DOUBLE NOT NULL,
            object_key VARCHAR,
            status VARCHAR NOT NULL,
            moments JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE jobs (
            id VARCHAR PRIMARY KEY,
            event_id VARCHAR,
            kind VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            progress DOUBLE NOT NULL DEFAULT 0,
            message VARCHAR,
            error VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        2,
        "resumable uploads",
        """
        CREATE TABLE uploads (
            id VARCHAR PRIMARY KEY,
            backend VARCHAR NOT NULL,
            backend_id VARCHAR NOT NULL,
            object_key VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            part_bytes BIGINT NOT NULL,
            content_type VARCHAR NOT NULL,
            state VARCHAR NOT NULL,
            meta JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        3,
        "background jobs",
        """
        ALTER TABLE jobs ADD COLUMN args JSON;
        ALTER TABLE jobs ADD COLUMN args_key VARCHAR;
        ALTER TABLE jobs ADD COLUMN attempts INTEGER DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN max_attempts INTEGER DEFAULT 3;
        ALTER TABLE jobs ADD COLUMN worker VARCHAR;
        ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMP;
        ALTER TABLE jobs ADD COLUMN started_at TIMESTAMP;
        ALTER TABLE jobs ADD COLUMN finished_at TIMESTAMP;
        ALTER TABLE jobs ADD COLUMN result JSON;
        ALTER TABLE jobs ADD COLUMN cancel_requested BOOLEAN DEFAULT false;
        ALTER TABLE jobs ADD COLUMN history JSON;
        """,
    ),
    (
        4,
        "shopify stores: expiring tokens, state nonces, webhook deliveries",
        """
        ALTER TABLE shopify_stores ADD COLUMN state VARCHAR DEFAULT 'active';
        ALTER TABLE shopify_stores ADD COLUMN state_reason VARCHAR;
        ALTER TABLE shopify_stores ADD COLUMN refresh_token_enc BLOB;
        ALTER TABLE shopify_stores ADD COLUMN access_expires_at TIMESTAMP;
        ALTER TABLE shopify_stores ADD COLUMN refresh_expires_at TIMESTAMP;
        ALTER TABLE shopify_stores ADD COLUMN currency VARCHAR;
        ALTER TABLE shopify_stores ADD COLUMN last_sync_at TIMESTAMP;
        ALTER TABLE shopify_stores ADD COLUMN last_sync_started_at TIMESTAMP;
        ALTER TABLE shopify_stores ADD COLUMN last_sync_message VARCHAR;
        ALTER TABLE shopify_stores ADD COLUMN sync_job_id VARCHAR;
        ALTER TABLE shopify_stores ADD COLUMN updated_at TIMESTAMP;
        ALTER TABLE products ADD COLUMN status VARCHAR;
        ALTER TABLE products ADD COLUMN price_max DOUBLE;
        ALTER TABLE products ADD COLUMN image_url VARCHAR;
        ALTER TABLE products ADD COLUMN remote_updated_at TIMESTAMP;
        CREATE TABLE oauth_states (
            nonce_sha256 VARCHAR PRIMARY KEY,
            shop_domain VARCHAR NOT NULL,
            meta JSON,
            created_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL
        );
        CREATE TABLE shopify_webhooks (
            event_id VARCHAR PRIMARY KEY,
            topic VARCHAR NOT NULL,
            shop_domain VARCHAR NOT NULL,
            webhook_id VARCHAR,
            api_version VARCHAR,
            triggered_at VARCHAR,
            payload JSON,
            status VARCHAR NOT NULL DEFAULT 'received',
            job_id VARCHAR,
            received_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        6,
        "veo ads: scene context, fallback reason, resumable operations",
        """
        ALTER TABLE ads ADD COLUMN requested_backend VARCHAR;
        ALTER TABLE ads ADD COLUMN fallback_reason VARCHAR;
        ALTER TABLE ads ADD COLUMN negative_prompt VARCHAR;
        ALTER TABLE ads ADD COLUMN context JSON;
        CREATE TABLE ad_operations (
            cache_key VARCHAR PRIMARY KEY,
            event_id VARCHAR NOT NULL,
            slot_idx INTEGER,
            model VARCHAR NOT NULL,
            operation VARCHAR NOT NULL,
            state VARCHAR NOT NULL,
            reason VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        """,
    ),
    (
        5,
        "twelvelabs: remote ids, clip embeddings, feature provenance",
        """
        CREATE TABLE remote_assets (
            event_id VARCHAR NOT NULL,
            video_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            remote_id VARCHAR NOT NULL,
            state VARCHAR NOT NULL,
            meta JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (event_id, video_id, kind)
        );
        CREATE TABLE clip_embeddings (
            remote_video_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            option VARCHAR NOT NULL,
            start_s DOUBLE NOT NULL,
            end_s DOUBLE NOT NULL,
            vector FLOAT[] NOT NULL,
            PRIMARY KEY (remote_video_id, model, option, start_s)
        );
        CREATE TABLE feature_provenance (
            video_id VARCHAR NOT NULL,
            t_ms BIGINT NOT NULL,
            backend VARCHAR NOT NULL DEFAULT 'local',
            remote_columns VARCHAR[] NOT NULL,
            reason VARCHAR,
            PRIMARY KEY (video_id, t_ms)
        );
        """,
    ),
]
