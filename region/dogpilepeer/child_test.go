package dogpilepeer

const childEnv = "GOSESS_DOGPILEPEER_CHILD"

func runChild(role string) int { return 2 }
