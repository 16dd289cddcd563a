//! What each accepted connection gets before actix-http reads a request from it.

use std::net::SocketAddr;

use actix_web::rt::net::TcpStream;

use crate::api::http::framing_errors::Dressed;

/// Connection `io` made ready to serve, with its peer's address: `TCP_NODELAY` set, and its
/// bare framing errors answered with problem documents ([`Dressed`]).
///
/// A streamed answer (a whole export) is many writes: with Nagle's algorithm, its last short
/// segment waits for the client's delayed acknowledgement, up to 40 ms on Linux. So every
/// connection is sent without that delay, as nginx sends by default. actix-http sets it only
/// on the TCP service it builds itself, which this server wraps; like actix-http, a failure is
/// ignored: the answers are then only slower.
pub fn accepted(io: TcpStream) -> (Dressed<TcpStream>, Option<SocketAddr>) {
    let _ = io.set_nodelay(true);
    let peer = io.peer_addr().ok();
    (Dressed::new(io), peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_connection_is_sent_without_delay_and_knows_its_peer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let client = std::net::TcpStream::connect(listener.local_addr().expect("its address"))
            .expect("a connection");
        let (server, _) = listener.accept().expect("the connection accepted");
        server.set_nonblocking(true).expect("non-blocking");
        let io = TcpStream::from_std(server).expect("a tokio stream");
        assert!(!io.nodelay().expect("TCP_NODELAY read"), "the OS default");

        let (dressed, peer) = accepted(io);

        assert!(dressed.get_ref().nodelay().expect("TCP_NODELAY read"));
        assert_eq!(
            peer,
            Some(client.local_addr().expect("the client's address"))
        );
    }
}
