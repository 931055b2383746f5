package synth

import (
	"context"
	"sync"
)

// ordered runs produce for batches 0..n-1 on workers goroutines and hands
// the results to consume in batch order, on the calling goroutine. At most
// 2*workers results are in flight. produce gets the worker number so it can
// reuse scratch space. After an error or cancellation, results that were
// produced but not consumed are passed to discard.
func ordered[T any](ctx context.Context, workers, n int,
	produce func(worker, batch int) T, consume func(T) error, discard func(T),
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	slots := make([]chan T, n)
	for i := range slots {
		slots[i] = make(chan T, 1)
	}
	tokens := make(chan struct{}, 2*workers)
	jobs := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() { // dispatcher
		defer close(jobs)
		for i := range n {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	for w := range workers {
		wg.Go(func() {
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				slots[i] <- produce(w, i)
			}
		})
	}

	var err error
	for i := 0; i < n && err == nil; i++ {
		select {
		case v := <-slots[i]:
			err = consume(v)
			<-tokens
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	cancel()
	wg.Wait()
	for _, s := range slots {
		select {
		case v := <-s:
			discard(v)
		default:
		}
	}
	return err
}
