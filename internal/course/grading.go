package course

// GradingFile is the grading configuration at the root of the reference: the points
// of each part and the seeds that 'lab grade' runs.
const GradingFile = "grading.json"
