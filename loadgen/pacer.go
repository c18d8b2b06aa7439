package main

import (
	"math"
	"sync/atomic"
	"time"
)

// segment is one stage of a ramping-arrival-rate schedule, in seconds and
// arrivals per second.
type segment struct {
	start, dur float64 // seconds since the test start
	from, to   float64 // rate (per second) at the start and at the end
	before     float64 // arrivals due before this segment starts
}

func (s segment) area() float64 { return s.dur * (s.from + s.to) / 2 }

// RampingPacer is a vegeta.Pacer for a piecewise-linear arrival rate, as in
// k6's ramping-arrival-rate executor: during stage i the rate moves linearly
// from the previous target (startRate for the first stage) to the stage's
// target over its duration. The number of arrivals due by time t is the
// integral N(t) of that rate, and arrival n (1-based) is due at the t with
// N(t) = n; so a flat 10/s stage from t=0 starts requests at 0.1 s, 0.2 s, ...,
// and a plan whose integral is 150 starts 150 requests. It is a pure function
// of its arguments and safe for concurrent use.
type RampingPacer struct {
	segs    []segment
	total   float64 // N(end)
	end     float64 // seconds
	lastPos int     // last stage with arrivals; it absorbs rounding error
}

// NewRampingPacer builds the schedule; rates are per timeUnitS seconds.
func NewRampingPacer(startRate, timeUnitS float64, stages []Stage) *RampingPacer {
	p := &RampingPacer{lastPos: -1}
	from := startRate / timeUnitS
	for _, st := range stages {
		to := st.Target / timeUnitS
		seg := segment{start: p.end, dur: st.DurationS, from: from, to: to, before: p.total}
		if seg.area() > 0 {
			p.lastPos = len(p.segs)
		}
		p.segs = append(p.segs, seg)
		p.total += seg.area()
		p.end += st.DurationS
		from = to
	}
	return p
}

// Total is the number of arrivals the whole schedule starts (N at the end,
// rounded down, with a small tolerance for floating-point error).
func (p *RampingPacer) Total() uint64 { return uint64(math.Floor(p.total + p.eps())) }

// End is the planned duration in seconds (the sum of the stage durations).
func (p *RampingPacer) End() float64 { return p.end }

func (p *RampingPacer) eps() float64 { return 1e-9 * math.Max(1, p.total) }

// RateAt is the target rate in arrivals per second at t seconds (0 outside
// the schedule).
func (p *RampingPacer) RateAt(t float64) float64 {
	for _, s := range p.segs {
		if t >= s.start && t < s.start+s.dur {
			return s.from + (s.to-s.from)*(t-s.start)/s.dur
		}
	}
	return 0
}

// Arrivals is N(t), the (fractional) number of arrivals due by t seconds.
func (p *RampingPacer) Arrivals(t float64) float64 {
	if t <= 0 {
		return 0
	}
	for _, s := range p.segs {
		if t < s.start+s.dur {
			tau := t - s.start
			return s.before + s.from*tau + (s.to-s.from)*tau*tau/(2*s.dur)
		}
	}
	return p.total
}

// ArrivalTime is the time in seconds at which arrival n (1-based) is due,
// i.e. the inverse of Arrivals; ok is false when the schedule has fewer than
// n arrivals.
func (p *RampingPacer) ArrivalTime(n float64) (t float64, ok bool) {
	if n <= 0 {
		return 0, true
	}
	if n > p.total+p.eps() {
		return 0, false
	}
	for i, s := range p.segs {
		a := s.area()
		if a <= 0 || (n > s.before+a && i != p.lastPos) {
			continue // zero-rate or zero-length stage, or n lies further on
		}
		m := n - s.before
		var tau float64
		if s.from == s.to {
			tau = m / s.from
		} else {
			// Solve from*tau + (to-from)/(2*dur)*tau^2 = m for the first root
			// >= 0; this form of the quadratic formula stays accurate for
			// ramps up and down and for from = 0.
			k := (s.to - s.from) / s.dur
			disc := math.Max(0, s.from*s.from+2*m*k)
			den := s.from + math.Sqrt(disc)
			if den > 0 {
				tau = 2 * m / den
			}
		}
		return s.start + math.Min(math.Max(tau, 0), s.dur), true
	}
	// Only reached when every stage has zero area, where total = 0 < n.
	return 0, false
}

// Pace implements vegeta.Pacer: the wait until arrival hits+1 is due, or stop
// once the schedule has no more arrivals.
func (p *RampingPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	t, ok := p.ArrivalTime(float64(hits + 1))
	if !ok {
		return 0, true
	}
	return seconds(t) - elapsed, false
}

// Rate implements vegeta.Pacer: the target rate in arrivals per second.
func (p *RampingPacer) Rate(elapsed time.Duration) float64 { return p.RateAt(elapsed.Seconds()) }

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// droppingPacer is the pacer handed to vegeta's Attack. vegeta's attack loop
// calls Pace once per hit, sleeps for the returned wait and then hands the
// hit to a free worker; when all MaxWorkers are busy it blocks until one is
// free, so a plain pacer would delay arrivals (and later send them in a
// burst) instead of dropping them as k6 does. This pacer therefore sleeps
// until the arrival is due itself and, if at that moment all maxVUs workers
// are busy (busy(hits) is true), counts the arrival as dropped and moves on to
// the next one; it returns wait 0 only for an arrival that a worker can take
// right away. Pace is only called from vegeta's single attack goroutine.
type droppingPacer struct {
	*RampingPacer
	busy    func(hits uint64) bool
	stop    <-chan struct{}
	began   time.Time // start of the attack as vegeta measures it
	dropped atomic.Uint64
}

func (d *droppingPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if d.began.IsZero() {
		d.began = time.Now().Add(-elapsed)
	}
	for {
		select {
		case <-d.stop:
			return 0, true
		default:
		}
		t, ok := d.ArrivalTime(float64(hits + d.dropped.Load() + 1))
		if !ok {
			return 0, true
		}
		if wait := time.Until(d.began.Add(seconds(t))); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-d.stop:
				timer.Stop()
				return 0, true
			}
		}
		if !d.busy(hits) {
			return 0, false
		}
		d.dropped.Add(1)
	}
}
