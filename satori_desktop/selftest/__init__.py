"""`satori-desktop --self-test`: the whole app checked end to end on this machine, source install or bundle.

It writes a tiny model, streams a scripted COAT answer through the real engine, renders it in the real
transcript page and checks what the page shows, then reports what it found as JSON.
"""
