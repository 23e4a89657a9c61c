package kernels

// columnDotsMaxN is the most columns columnDots takes: its 16 lanes of n
// columns, 64 KiB at most, stay in L2 while b streams past.
const columnDotsMaxN = 1024

// columnDotsGeneric is the specification of columnDots: c[j] = Dot(a[:k],
// column j of b) for j < n, b k×n at row stride ldb — a one-row a·b. The
// assembly reads b lane by lane (lane l's rows l, l+16, …, six at a time,
// from start to end) and takes the Reduce16 tree as lanes 8 to 15 finish;
// each lane sums the same terms in the same order as here and the tree adds
// the same pairs, so the results are the same bit for bit.
func columnDotsGeneric(c, a, b []float32, ldb, n, k int) {
	for j := range n {
		var acc [Lanes]float32
		for t := range k {
			acc[t%Lanes] = FMA32(a[t], b[t*ldb+j], acc[t%Lanes])
		}
		c[j] = Reduce16(&acc)
	}
}
