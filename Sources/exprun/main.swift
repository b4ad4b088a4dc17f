import ExprunKit; ExprunKit.main()
