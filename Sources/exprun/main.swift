print("exprun")
