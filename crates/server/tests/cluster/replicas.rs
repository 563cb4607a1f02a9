//! List reads on streaming replicas: never stale for their writer, whichever instance
//! serves the read; a replica that lags past the bound or is down is skipped.

use serde_json::Value;

use crate::support::{Cluster, Instance, follow, list, provision};

fn all_in_use(replicas: &[Value], n: usize) -> bool {
    replicas.len() == n && replicas.iter().all(|r| r["in_use"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL's server binaries: `make test` runs it"]
async fn a_follow_read_at_once_through_another_instance_shows() {
    if !crate::support::binaries_or_skip("a_follow_read_at_once_through_another_instance_shows") {
        return;
    }
    let cluster = Cluster::start(2, false);
    let reads = cluster.read_urls();
    let env = [("ROOKERY_READ_DATABASE_URL", reads.as_str())];
    let writer = Instance::start(&cluster.primary_url(), &env).await;
    let reader = Instance::start(&cluster.primary_url(), &env).await;
    reader.wait_replicas("both replicas serve", |r| all_in_use(r, 2)).await;
    let client = reqwest::Client::new();

    // Replicas streaming as usual, then with replay paused on both: every follow made
    // through one instance shows at once in both lists read through the other.
    for paused in [false, true] {
        if paused {
            for port in &cluster.replicas {
                Cluster::sql(*port, "SELECT pg_wal_replay_pause()");
            }
        }
        for _ in 0..15 {
            let pair = provision(&writer.base, 2).await;
            let (fan, star) = (&pair[0], &pair[1]);
            assert_eq!(follow(&client, &writer.base, fan, star).await.status(), 200);
            let following = list(&client, &reader.base, fan, fan, "following").await;
            assert!(following.contains(&star.id.to_string()), "paused {paused}: the fan's following");
            let followers = list(&client, &reader.base, fan, star, "followers").await;
            assert!(followers.contains(&fan.id.to_string()), "paused {paused}: the star's followers");
        }
    }
    for port in &cluster.replicas {
        Cluster::sql(*port, "SELECT pg_wal_replay_resume()");
    }

    // The replicas did serve: a list nobody changed lately is read there, by turns.
    let quiet = provision(&writer.base, 2).await;
    reader.wait_replicas("both replicas serve again", |r| all_in_use(r, 2)).await;
    for _ in 0..10 {
        assert!(list(&client, &reader.base, &quiet[0], &quiet[1], "followers").await.is_empty());
    }
    let replicas = reader.replicas().await;
    assert!(replicas.iter().all(|r| r["reads"].as_u64().unwrap_or(0) > 0), "every replica served: {replicas:?}");
    assert!(reader.metric("rookery_db_replica_primary_reads").await > 0.0, "fenced reads went to the primary");
    assert_eq!(reader.metric("rookery_db_replicas_in_use").await, 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL's server binaries: `make test` runs it"]
async fn a_lagging_or_stopped_replica_is_skipped() {
    if !crate::support::binaries_or_skip("a_lagging_or_stopped_replica_is_skipped") {
        return;
    }
    let cluster = Cluster::start(1, false);
    let reads = cluster.read_urls();
    let env = [("ROOKERY_READ_DATABASE_URL", reads.as_str()), ("ROOKERY_REPLICA_MAX_LAG", "1s")];
    let instance = Instance::start(&cluster.primary_url(), &env).await;
    instance.wait_replicas("the replica serves", |r| all_in_use(r, 1)).await;
    let client = reqwest::Client::new();
    let people = provision(&instance.base, 4).await;

    // Replay paused while the primary moves on: past 1 s of lag the replica is skipped,
    // and reads (of anyone's lists) go to the primary, fresh.
    let replica = cluster.replicas[0];
    Cluster::sql(replica, "SELECT pg_wal_replay_pause()");
    assert_eq!(follow(&client, &instance.base, &people[0], &people[1]).await.status(), 200);
    instance.wait_replicas("the lagging replica is skipped", |r| r[0]["in_use"] == false && r[0]["up"] == true).await;
    assert!(instance.replicas().await[0]["lag_seconds"].as_f64().unwrap() > 1.0);
    assert!(instance.metric("rookery_db_replica_lag_seconds").await > 1.0);
    assert_eq!(instance.metric("rookery_db_replicas_in_use").await, 0.0);
    let before = instance.metric("rookery_db_replica_reads").await;
    let followers = list(&client, &instance.base, &people[2], &people[1], "followers").await;
    assert_eq!(followers, vec![people[0].id.to_string()]);
    assert!(list(&client, &instance.base, &people[2], &people[3], "followers").await.is_empty());
    assert_eq!(instance.metric("rookery_db_replica_reads").await, before, "no read went to the lagging replica");

    // Caught up, it serves again.
    Cluster::sql(replica, "SELECT pg_wal_replay_resume()");
    instance.wait_replicas("the replica serves again", |r| all_in_use(r, 1)).await;

    // Stopped: skipped, reads still answer, and the service stays ready.
    cluster.run("stop", &["replica1"]);
    instance.wait_replicas("the stopped replica is skipped", |r| r[0]["up"] == false && r[0]["in_use"] == false).await;
    assert_eq!(follow(&client, &instance.base, &people[2], &people[1]).await.status(), 200);
    for _ in 0..5 {
        let followers = list(&client, &instance.base, &people[3], &people[1], "followers").await;
        assert_eq!(followers.len(), 2);
        assert!(list(&client, &instance.base, &people[3], &people[0], "followers").await.is_empty());
    }
    assert_eq!(reqwest::get(format!("{}/readyz", instance.base)).await.unwrap().status(), 200);

    // Back, it serves again.
    cluster.run("resume", &["replica1"]);
    instance.wait_replicas("the restarted replica serves", |r| all_in_use(r, 1)).await;
    let before = instance.metric("rookery_db_replica_reads").await;
    assert!(list(&client, &instance.base, &people[3], &people[0], "followers").await.is_empty());
    assert!(instance.metric("rookery_db_replica_reads").await > before, "the replica served again");
}
