module protolab

go 1.26
