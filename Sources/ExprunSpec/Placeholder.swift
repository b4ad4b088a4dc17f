import ExprunCore
