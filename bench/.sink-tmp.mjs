import { SMTPServer } from 'smtp-server';
const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 200,
  onData(stream, session, done) { stream.on('data', () => {}); stream.on('end', () => done()); } });
server.listen(2599, '127.0.0.1', () => console.log('sink up'));
