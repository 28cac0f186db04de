//go:build chaos

package chaos

import (
	"context"
	"time"
)

// outage is a database server that a scenario stops in the middle of a
// run and starts again.
type outage struct {
	server  string        // its name in the timeline: MariaDB, PostgreSQL
	stop    func()        // stops the server
	restart func()        // starts it again on the same data
	length  time.Duration // from the stop to the restart
}

// runOutage runs the database outage scenarios: an API process and two
// workers; n documents uploaded evenly over 60 s by 4 clients (that retry
// 5xx answers and lost connections when retry); the server stopped 10 s
// in and started again o.length after; and, once every upload is
// answered, at most 10 min for the run to settle. It returns the sender
// and how long settling took.
func (c *cluster) runOutage(ctx context.Context, n int, retry bool, o outage) (*sender, time.Duration) {
	c.t.Helper()
	c.startAPI()
	c.startWorker()
	c.startWorker()
	s := c.sender(retry)
	uploaded := make(chan struct{})
	go func() {
		s.uploadAll(ctx, 0, n, 4, 60*time.Second)
		c.note("all %d uploads answered", n)
		close(uploaded)
	}()
	time.Sleep(10 * time.Second)
	c.note("stopping %s (%d/%d decided)", o.server, c.decided(ctx), n)
	stopped := time.Now()
	o.stop()
	c.note("%s stopped", o.server)
	time.Sleep(o.length - time.Since(stopped))
	o.restart()
	c.note("%s started again after %s (%d/%d decided)", o.server, time.Since(stopped).Round(time.Second), c.decided(ctx), n)
	<-uploaded
	waited := c.settleWithin(ctx, 10*time.Minute)
	c.note("settled %s after the uploads ended", waited.Round(time.Second))
	return s, waited
}
