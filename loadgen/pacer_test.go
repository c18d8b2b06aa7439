package main

import (
	"math"
	"math/rand"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

var _ vegeta.Pacer = (*RampingPacer)(nil)
var _ vegeta.Pacer = (*droppingPacer)(nil)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// arrivalTimes lists every arrival time of a schedule.
func arrivalTimes(t *testing.T, p *RampingPacer) []float64 {
	t.Helper()
	var ts []float64
	for n := 1; ; n++ {
		at, ok := p.ArrivalTime(float64(n))
		if !ok {
			break
		}
		if n > 1e6 {
			t.Fatal("runaway schedule")
		}
		ts = append(ts, at)
	}
	if uint64(len(ts)) != p.Total() {
		t.Fatalf("ArrivalTime gives %d arrivals, Total() = %d", len(ts), p.Total())
	}
	return ts
}

func TestFlat(t *testing.T) {
	p := NewRampingPacer(10, 1, []Stage{{DurationS: 10, Target: 10}})
	ts := arrivalTimes(t, p)
	if len(ts) != 100 {
		t.Fatalf("got %d arrivals, want 100", len(ts))
	}
	for i, at := range ts {
		if want := float64(i+1) / 10; !near(at, want) {
			t.Fatalf("arrival %d at %v, want %v", i+1, at, want)
		}
	}
	if r := p.RateAt(5); r != 10 {
		t.Fatalf("rate %v", r)
	}
	if r := p.RateAt(10); r != 0 {
		t.Fatalf("rate after the end %v", r)
	}
}

func TestTimeUnit(t *testing.T) {
	// 60 per minute = 1/s.
	p := NewRampingPacer(60, 60, []Stage{{DurationS: 5, Target: 60}})
	if ts := arrivalTimes(t, p); len(ts) != 5 || !near(ts[0], 1) || !near(ts[4], 5) {
		t.Fatalf("arrivals %v", ts)
	}
	if r := p.Rate(2 * time.Second); r != 1 {
		t.Fatalf("Rate %v, want 1/s", r)
	}
}

func TestRampUp(t *testing.T) {
	// 0 -> 10/s over 10 s: N(t) = t^2/2, 50 arrivals, arrival n at sqrt(2n).
	p := NewRampingPacer(0, 1, []Stage{{DurationS: 10, Target: 10}})
	ts := arrivalTimes(t, p)
	if len(ts) != 50 {
		t.Fatalf("got %d arrivals, want 50", len(ts))
	}
	for i, at := range ts {
		if want := math.Sqrt(2 * float64(i+1)); !near(at, want) {
			t.Fatalf("arrival %d at %v, want %v", i+1, at, want)
		}
	}
	if !near(p.RateAt(2.5), 2.5) {
		t.Fatalf("rate %v", p.RateAt(2.5))
	}
}

func TestRampDown(t *testing.T) {
	// 10 -> 0/s over 10 s: N(t) = 10t - t^2/2, 50 arrivals.
	p := NewRampingPacer(10, 1, []Stage{{DurationS: 10, Target: 0}})
	ts := arrivalTimes(t, p)
	if len(ts) != 50 {
		t.Fatalf("got %d arrivals, want 50", len(ts))
	}
	for i, at := range ts {
		n := float64(i + 1)
		if want := 10 - math.Sqrt(100-2*n); !near(at, want) {
			t.Fatalf("arrival %d at %v, want %v", i+1, at, want)
		}
	}
	if !near(ts[49], 10) {
		t.Fatalf("last arrival at %v, want 10", ts[49])
	}
}

func TestZeroRateStages(t *testing.T) {
	// 2 s at rate 0, an instant jump to 10/s, 1 s flat, 1 s at 0 again.
	p := NewRampingPacer(0, 1, []Stage{{DurationS: 2, Target: 0}, {DurationS: 0, Target: 10}, {DurationS: 1, Target: 10}, {DurationS: 0, Target: 0}, {DurationS: 1, Target: 0}})
	ts := arrivalTimes(t, p)
	if len(ts) != 10 {
		t.Fatalf("got %d arrivals, want 10", len(ts))
	}
	for i, at := range ts {
		if want := 2 + float64(i+1)/10; !near(at, want) {
			t.Fatalf("arrival %d at %v, want %v", i+1, at, want)
		}
	}
	if p.End() != 4 {
		t.Fatalf("end %v", p.End())
	}
	if p.RateAt(1) != 0 || p.RateAt(2.5) != 10 || p.RateAt(3.5) != 0 {
		t.Fatalf("rates %v %v %v", p.RateAt(1), p.RateAt(2.5), p.RateAt(3.5))
	}
	// Nothing at all.
	if z := NewRampingPacer(0, 1, []Stage{{DurationS: 5, Target: 0}}); z.Total() != 0 {
		t.Fatalf("zero schedule has %d arrivals", z.Total())
	} else if _, stop := z.Pace(0, 0); !stop {
		t.Fatal("zero schedule does not stop")
	}
}

func TestThesisShape(t *testing.T) {
	// 0 -> 15 over 30 s, 15 for 540 s, 15 -> 0 over 30 s: 225 + 8100 + 225.
	p := NewRampingPacer(0, 1, []Stage{{30, 15}, {540, 15}, {30, 0}})
	ts := arrivalTimes(t, p)
	if len(ts) != 8550 {
		t.Fatalf("got %d arrivals, want 8550", len(ts))
	}
	if !near(ts[224], 30) || !near(ts[8324], 570) || !near(ts[8549], 600) {
		t.Fatalf("stage ends at %v %v %v", ts[224], ts[8324], ts[8549])
	}
}

// TestInverse checks ArrivalTime against the integral Arrivals on random
// schedules with ramps up, down, flat and zero-rate stages.
func TestInverse(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 200; trial++ {
		var stages []Stage
		for i := rng.Intn(5) + 1; i > 0; i-- {
			target := float64(rng.Intn(4)) * rng.Float64() * 30
			if rng.Intn(4) == 0 {
				target = 0
			}
			stages = append(stages, Stage{DurationS: math.Round(rng.Float64()*20*100) / 100, Target: target})
		}
		p := NewRampingPacer(float64(rng.Intn(20)), 1, stages)
		ts := arrivalTimes(t, p)
		prev := 0.0
		for i, at := range ts {
			if at < prev-1e-9 {
				t.Fatalf("%v: arrival %d at %v before %v", stages, i+1, at, prev)
			}
			if got := p.Arrivals(at); math.Abs(got-float64(i+1)) > 1e-6 {
				t.Fatalf("%v: N(ArrivalTime(%d)=%v) = %v", stages, i+1, at, got)
			}
			prev = at
		}
		if at, ok := p.ArrivalTime(float64(p.Total() + 1)); ok {
			t.Fatalf("%v: arrival past the end at %v", stages, at)
		}
		if want := math.Floor(p.Arrivals(p.End()) + 1e-9); float64(p.Total()) != want {
			t.Fatalf("%v: Total %d, N(end) %v", stages, p.Total(), p.Arrivals(p.End()))
		}
	}
}

func TestPace(t *testing.T) {
	p := NewRampingPacer(10, 1, []Stage{{DurationS: 1, Target: 10}})
	if wait, stop := p.Pace(0, 0); stop || wait != 100*time.Millisecond {
		t.Fatalf("Pace(0,0) = %v %v", wait, stop)
	}
	if wait, stop := p.Pace(250*time.Millisecond, 1); stop || wait != -50*time.Millisecond {
		t.Fatalf("Pace(250ms,1) = %v %v (behind schedule: negative wait)", wait, stop)
	}
	if _, stop := p.Pace(time.Second, 10); !stop {
		t.Fatal("Pace does not stop after the last arrival")
	}
	if r := p.Rate(500 * time.Millisecond); r != 10 {
		t.Fatalf("Rate %v", r)
	}
}

func TestDroppingPacer(t *testing.T) {
	// 100/s for 0.2 s = 20 arrivals; while "busy", arrivals are dropped.
	var busy atomic.Bool
	d := &droppingPacer{
		RampingPacer: NewRampingPacer(100, 1, []Stage{{DurationS: 0.2, Target: 100}}),
		busy:         func(uint64) bool { return busy.Load() },
		stop:         make(chan struct{}),
	}
	start := time.Now()
	var hits uint64
	for {
		if hits == 5 {
			busy.Store(true) // from now on every arrival finds all VUs busy
		}
		_, stop := d.Pace(time.Since(start), hits)
		if stop {
			break
		}
		hits++
	}
	if hits != 5 || d.dropped.Load() != 15 {
		t.Fatalf("hits %d dropped %d, want 5 and 15", hits, d.dropped.Load())
	}
	if el := time.Since(start); el < 190*time.Millisecond || el > time.Second {
		t.Fatalf("took %v, want about 200ms (arrivals are dropped when due)", el)
	}

	// A closed stop channel ends Pace at once.
	stop := make(chan struct{})
	close(stop)
	d2 := &droppingPacer{RampingPacer: NewRampingPacer(1, 1, []Stage{{DurationS: 100, Target: 1}}), busy: func(uint64) bool { return false }, stop: stop}
	if _, s := d2.Pace(0, 0); !s {
		t.Fatal("Pace ignores stop")
	}
}
