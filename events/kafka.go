package events

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka publishes events to one topic, keyed by document id so that a
// document's events keep their order in its partition. The producer is
// idempotent (franz-go's default): a retried produce is not written twice.
type Kafka struct {
	client *kgo.Client
	topic  string
}

// NewKafka connects a producer to the brokers (comma-separated host:port).
func NewKafka(brokers, topic string, opts ...kgo.Opt) (*Kafka, error) {
	if topic == "" {
		return nil, fmt.Errorf("kafka: a topic is required")
	}
	base := []kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0), kgo.MaxBufferedRecords(10000)}
	c, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Kafka{client: c, topic: topic}, nil
}

// Publish produces the events in order and waits for all of them.
func (k *Kafka) Publish(ctx context.Context, evs []Event) error {
	recs := make([]*kgo.Record, len(evs))
	for i, e := range evs {
		recs[i] = &kgo.Record{Topic: k.topic, Key: []byte(e.DocumentID), Value: e.JSON(),
			Headers: []kgo.RecordHeader{{Key: "type", Value: []byte(e.Type)}, {Key: "version", Value: []byte(e.Version)}}}
	}
	if err := k.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	return nil
}

// Close flushes and closes the producer.
func (k *Kafka) Close() { k.client.Close() }
