package events_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/docflow/docflow/events"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafka publishes every event to the topic, keyed by document id, in
// order per document. The broker is franz-go's kfake, an in-process
// implementation of the Kafka protocol (no Kafka broker is packaged for
// Debian here).
func TestKafka(t *testing.T) {
	t.Parallel()
	const topic = "docflow.events"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := cluster.ListenAddrs()
	k, err := events.NewKafka(brokers[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)

	f := setup(t)
	a, up, rev := f.tenant("Intérim K")
	ctx, cancel := context.WithCancel(context.Background())
	r := &events.Relay{Log: f.stack.Store, Outbox: f.stack.Records, Publisher: k, Config: fast}
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	want := f.flows(up, rev, "CM-2026-7600")

	consumer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	got := map[string][]string{}
	seen := map[string]bool{}
	last := map[string]int64{}
	partition := map[string]int32{}
	total := 0
	deadline := time.Now().Add(60 * time.Second)
	for total < 10 && time.Now().Before(deadline) {
		pctx, stop := context.WithTimeout(context.Background(), 2*time.Second)
		fetches := consumer.PollFetches(pctx)
		stop()
		fetches.EachRecord(func(rec *kgo.Record) {
			var e events.Event
			if err := json.Unmarshal(rec.Value, &e); err != nil {
				t.Fatalf("record %q: %v", rec.Value, err)
			}
			if string(rec.Key) != e.DocumentID || e.TenantID != a {
				t.Errorf("record key %q for event %+v", rec.Key, e)
			}
			if p, ok := partition[e.DocumentID]; ok && p != rec.Partition {
				t.Errorf("document %s in partitions %d and %d", e.DocumentID, p, rec.Partition)
			}
			partition[e.DocumentID] = rec.Partition
			if seen[e.ID] {
				return // at least once
			}
			seen[e.ID] = true
			if e.Sequence <= last[e.DocumentID] {
				t.Errorf("document %s: sequence %d after %d", e.DocumentID, e.Sequence, last[e.DocumentID])
			}
			last[e.DocumentID] = e.Sequence
			got[e.DocumentID] = append(got[e.DocumentID], e.Type)
			total++
		})
	}
	for doc, types := range want {
		if !slices.Equal(got[doc], types) {
			t.Errorf("document %s: published %v, want %v", doc, got[doc], types)
		}
	}
}
