package kernels

// Add sets y[i] = y[i] + x[i] for i < len(y); len(x) must be at least
// len(y). Each sum is one IEEE addition, so every variant (AVX2 or pure Go)
// gives the same bits as the scalar loop; it is the vector form of the
// gradient accumulations of training.
func Add(y, x []float32) {
	addVec(y, x)
}
