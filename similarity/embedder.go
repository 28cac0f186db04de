// Package similarity embeds documents' text and finds their nearest
// neighbours with pgvector: reviewed documents of the same layout become
// examples for the model's prompt, and near-duplicates of a document are
// flagged. Embeddings come from an OpenAI-compatible embeddings API when
// one is configured, else from a local hashing embedder that needs no
// network and no model weights.
package similarity

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Dim is the dimension of every stored embedding.
const Dim = 256

// Embedder turns text into a unit vector of Dim numbers.
type Embedder interface {
	// Name identifies the embedder; vectors of different embedders are
	// never compared.
	Name() string
	Embed(ctx context.Context, text string) ([]float32, error)
}

// Hashing is a local embedder: word and word-pair features hashed into
// Dim buckets with signs, weighted by log frequency, normalised to unit
// length. Documents of the same layout share most of their words (labels,
// legal text) and so land close together.
type Hashing struct{}

// Name identifies the embedder.
func (Hashing) Name() string { return "hashing-v1" }

// Embed returns the unit vector of text.
func (Hashing) Embed(_ context.Context, text string) ([]float32, error) {
	counts := map[string]int{}
	words := tokens(text)
	for i, w := range words {
		counts[w]++
		if i > 0 {
			counts[words[i-1]+" "+w]++
		}
	}
	v := make([]float64, Dim)
	for f, n := range counts {
		h := fnv.New64a()
		h.Write([]byte(f))
		x := h.Sum64()
		sign := 1.0
		if x&(1<<63) != 0 {
			sign = -1
		}
		v[x%Dim] += sign * (1 + math.Log(float64(n)))
	}
	return unit(v), nil
}

// tokens folds text to lower-case words without accents, digits kept as a
// shape (every digit is 9) so that values do not split a layout.
func tokens(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 1 {
			out = append(out, b.String())
		}
		b.Reset()
	}
	for _, r := range norm.NFD.String(strings.ToLower(text)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsDigit(r):
			b.WriteRune('9')
		case unicode.IsLetter(r):
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func unit(v []float64) []float32 {
	var sum float64
	for _, x := range v {
		sum += x * x
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out
	}
	n := math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out
}
